/**
 * One mutual-TLS connection carrying a peer link: its verified peer, the moment it must stop (the
 * earlier expiry of the two SVIDs it was authenticated with: a connection never outlives an
 * identity), and the post-quantum session inside it. Every link frame is sealed by that session
 * (pq-session.ts), whose handshake is bound to this TLS connection through its exported keying
 * material; the only plaintext frame accepted is a goodbye before the session is up (a refusal).
 */
import { createPublicKey } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { HandshakeError } from '../../lib/crypto/handshake-error.js';
import type { Pqc } from '../../lib/crypto/liboqs.js';
import type { LocalIdentity } from '../../lib/crypto/pq-handshake.js';
import type { SuiteName } from '../../lib/crypto/pq-suites.js';
import type { FrameError } from '../../lib/crypto/session-channel.js';
import { TLS_EXPORTER_BYTES, TLS_EXPORTER_LABEL } from '../../lib/crypto/transcript.js';
import type { VerifiedSvid } from '../../lib/spiffe/x509-svid.js';
import { decodeFrame, encodeFrame, encodeFrameBody, RecordReader, type LinkFrame } from './frame-codec.js';
import { LinkFrameError } from './link-frame-error.js';
import { PqSession, type SessionMetricsHooks } from './pq-session.js';

export interface ConnectionHandlers {
  onFrame(connection: LinkConnection, frame: LinkFrame): void;
  /** Once, when the socket is gone; `error` when it ended abnormally. */
  onClose(connection: LinkConnection, error?: Error): void;
}

export interface PostQuantumOptions {
  pqc: Pqc;
  local: LocalIdentity;
  suites: readonly SuiteName[];
  rekeyAfterFrames?: number;
  rekeyAfterMs?: number;
  metrics?: SessionMetricsHooks;
}

let nextConnectionId = 1;

export class LinkConnection {
  readonly id = nextConnectionId++;
  readonly establishedAt = Date.now();
  readonly expiresAt: number;
  /** Set once the Hello exchange bound this connection to a link. */
  linkKey: string | undefined;
  readonly dialedLinkKey: string | undefined;
  readonly session: PqSession;
  private readonly reader = new RecordReader();
  private readonly expiryTimer: ReturnType<typeof setTimeout>;
  private readonly helloTimer: ReturnType<typeof setTimeout>;
  private closed = false;
  private failure: Error | undefined;

  constructor(
    readonly socket: TLSSocket,
    readonly peer: VerifiedSvid,
    options: {
      ownExpiresAt: number;
      helloTimeoutMs: number;
      /** The key of the link this side dialed the connection for; absent on accepted connections. */
      dialedLinkKey?: string;
      postQuantum: PostQuantumOptions;
    },
    private readonly handlers: ConnectionHandlers,
  ) {
    this.dialedLinkKey = options.dialedLinkKey;
    this.expiresAt = Math.min(options.ownExpiresAt, peer.expiresAt.getTime());
    this.expiryTimer = setTimeout(() => this.destroy(new Error('the SVID this connection was authenticated with expired')), Math.max(0, this.expiresAt - Date.now()));
    this.helloTimer = setTimeout(() => {
      if (this.linkKey === undefined) this.destroy(new LinkFrameError('unexpected', `no Hello within ${options.helloTimeoutMs} ms`));
    }, options.helloTimeoutMs);
    const pq = options.postQuantum;
    this.session = new PqSession({
      role: options.dialedLinkKey !== undefined ? 'initiator' : 'responder',
      pqc: pq.pqc,
      local: pq.local,
      peer: { spiffeId: peer.spiffeId.id, svidPublicKey: createPublicKey({ key: Buffer.from(peer.path[0]!.publicKey.rawData), format: 'der', type: 'spki' }) },
      exporter: socket.exportKeyingMaterial(TLS_EXPORTER_BYTES, TLS_EXPORTER_LABEL, Buffer.alloc(0)),
      suites: pq.suites,
      send: (record) => {
        if (!this.closed && socket.writable) socket.write(encodeFrame({ kind: 'pq', bytes: Buffer.from(record.buffer, record.byteOffset, record.byteLength) }));
      },
      onMessage: (payload) => this.deliver(decodeFrame(payload)),
      onFailed: (error: HandshakeError | FrameError) => this.destroy(error),
      ...(pq.metrics ? { metrics: pq.metrics } : {}),
      ...(pq.rekeyAfterFrames !== undefined ? { rekeyAfterFrames: pq.rekeyAfterFrames } : {}),
      ...(pq.rekeyAfterMs !== undefined ? { rekeyAfterMs: pq.rekeyAfterMs } : {}),
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      try {
        for (const frame of this.reader.push(chunk)) {
          if (this.closed) return;
          this.onRecord(frame);
        }
      } catch (error) {
        this.destroy(error as Error);
      }
    });
    socket.on('error', (error) => (this.failure ??= error));
    socket.on('close', () => this.finish());
    this.session.start();
  }

  get open(): boolean {
    return !this.closed && !this.socket.destroyed && this.socket.writable && this.session.state !== 'failed';
  }

  /** Seals and sends a frame (queued by the session until its handshake ends). */
  send(frame: LinkFrame): void {
    if (this.open) this.session.send(encodeFrameBody(frame));
  }

  /** Ends this side cleanly after what is queued (the peer's traffic still arrives until it ends too). */
  goodbye(reason: string): void {
    if (!this.open) return;
    if (this.session.state === 'established') this.send({ kind: 'goodbye', reason });
    this.socket.end();
  }

  destroy(error?: Error): void {
    if (error) this.failure ??= error;
    this.socket.destroy();
    this.finish();
  }

  private onRecord(frame: LinkFrame): void {
    if (frame.kind === 'pq') {
      this.session.receive(frame.bytes);
      return;
    }
    // A refusal is the one plaintext frame: it comes before any session, and only ends the connection.
    if (frame.kind === 'goodbye' && this.session.state === 'handshaking') {
      this.deliver(frame);
      return;
    }
    throw new LinkFrameError('unexpected', `a plaintext ${frame.kind} frame on a post-quantum link`);
  }

  private deliver(frame: LinkFrame): void {
    if (frame.kind === 'pq') throw new LinkFrameError('unexpected', 'a session record inside a session record');
    if (!this.closed) this.handlers.onFrame(this, frame);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiryTimer);
    clearTimeout(this.helloTimer);
    this.session.close();
    this.handlers.onClose(this, this.failure);
  }
}
