/**
 * One authenticated connection carrying a peer link (a TransportConnection: mutual TLS, or a
 * simulated one): its verified peer, the moment it must stop (the earlier expiry of the two SVIDs
 * it was authenticated with: a connection never outlives an identity), and the post-quantum
 * session inside it. Every link frame is sealed by that session (pq-session.ts), whose handshake
 * is bound to the connection through its exported keying material; the only plaintext frame
 * accepted is a goodbye before the session is up (a refusal).
 */
import { createPublicKey } from 'node:crypto';
import type { HandshakeError } from '../../lib/crypto/handshake-error.js';
import type { Pqc } from '../../lib/crypto/liboqs.js';
import type { LocalIdentity } from '../../lib/crypto/pq-handshake.js';
import type { SuiteName } from '../../lib/crypto/pq-suites.js';
import type { FrameError } from '../../lib/crypto/session-channel.js';
import { TLS_EXPORTER_BYTES, TLS_EXPORTER_LABEL } from '../../lib/crypto/transcript.js';
import type { Clock } from '../../lib/timing/clock.js';
import type { TransportConnection, TransportPeer } from '../runtime/contracts/transport.js';
import { decodeFrame, encodeFrameBody, pqRecordHead, RecordReader, type LinkFrame } from './frame-codec.js';
import { LinkFrameError } from './link-frame-error.js';
import { PqSession, type SessionMetricsHooks } from './pq-session.js';

export interface ConnectionHandlers {
  onFrame(connection: LinkConnection, frame: LinkFrame): void;
  /** Once, when the connection is gone; `error` when it ended abnormally. */
  onClose(connection: LinkConnection, error?: Error): void;
  /** The connection takes writes again after being congested. */
  onDrain(connection: LinkConnection): void;
  /** Records read from the peer (handshake, frames, rekeys), each handled before the next chunk is read. */
  onRecords?(count: number): void;
}

/** Chaos on the links with one peer (link-faults.ts): asked for every record and heartbeat. */
export interface ConnectionFaults {
  isCut(peer: string): boolean;
  dropsHeartbeat(peer: string): boolean;
}

export interface PostQuantumOptions {
  pqc: Pqc;
  local: LocalIdentity;
  suites: readonly SuiteName[];
  rekeyAfterFrames?: number;
  rekeyAfterMs?: number;
  metrics?: SessionMetricsHooks;
}

/** How long a connection this side said goodbye on may stay open for the peer's last frames (they are resent on the new connection anyway). */
export const GOODBYE_DRAIN_MS = 2_000;

/**
 * A record begun must be complete within this long, or the connection is closed: the reader holds
 * its bytes meanwhile (up to the 1 MiB record cap), so a peer that starts records and never ends
 * them would pin that much per connection for as long as it likes. 30 s is a full-size record at
 * 35 KB/s, slower than any link a mesh node carries traffic over. Time this side holds reading
 * back (setReading) does not count: the wait is then ours.
 */
export const RECORD_COMPLETION_MS = 30_000;

let nextConnectionId = 1;

export class LinkConnection {
  readonly id = nextConnectionId++;
  readonly establishedAt: number;
  readonly expiresAt: number;
  readonly peer: TransportPeer;
  /** Set once the Hello exchange bound this connection to a link. */
  linkKey: string | undefined;
  readonly dialedLinkKey: string | undefined;
  readonly session: PqSession;
  private readonly reader = new RecordReader();
  private readonly clock: Clock;
  private readonly expiryTimer: unknown;
  private readonly helloTimer: unknown;
  private drainTimer: unknown;
  /** Armed while a record is partly read (see RECORD_COMPLETION_MS). */
  private recordTimer: unknown;
  private reading = true;
  private closed = false;
  private readonly faults: ConnectionFaults | undefined;
  private failure: Error | undefined;

  constructor(
    /** The transport's connection this one runs on. */
    readonly carrier: TransportConnection,
    options: {
      clock: Clock;
      helloTimeoutMs: number;
      /** The key of the link this side dialed the connection for; absent on accepted connections. */
      dialedLinkKey?: string;
      postQuantum: PostQuantumOptions;
      faults?: ConnectionFaults;
    },
    private readonly handlers: ConnectionHandlers,
  ) {
    const clock = options.clock;
    this.clock = clock;
    this.peer = carrier.peer;
    this.dialedLinkKey = options.dialedLinkKey;
    this.establishedAt = clock.now();
    this.expiresAt = Math.min(carrier.localExpiresAt, carrier.peer.expiresAt);
    this.faults = options.faults;
    const pq = options.postQuantum;
    this.session = new PqSession({
      role: options.dialedLinkKey !== undefined ? 'initiator' : 'responder',
      pqc: pq.pqc,
      local: pq.local,
      peer: { spiffeId: carrier.peer.spiffeId, svidPublicKey: createPublicKey({ key: Buffer.from(carrier.peer.svidPublicKey), format: 'der', type: 'spki' }) },
      exporter: carrier.exportKeyingMaterial(TLS_EXPORTER_BYTES, TLS_EXPORTER_LABEL),
      suites: pq.suites,
      clock,
      send: (record) => {
        if (this.closed || !carrier.writable || this.faults?.isCut(this.peer.spiffeId)) return;
        let bytes = 0;
        for (const chunk of record) bytes += chunk.length;
        carrier.write(pqRecordHead(bytes), ...record);
      },
      onMessage: (payload) => this.deliver(decodeFrame(payload)),
      onFailed: (error: HandshakeError | FrameError) => this.destroy(error),
      ...(pq.metrics ? { metrics: pq.metrics } : {}),
      ...(pq.rekeyAfterFrames !== undefined ? { rekeyAfterFrames: pq.rekeyAfterFrames } : {}),
      ...(pq.rekeyAfterMs !== undefined ? { rekeyAfterMs: pq.rekeyAfterMs } : {}),
    });
    // Armed once the session exists: a constructor that threw before (a carrier already closed)
    // leaves no timer behind to fire on a half-built connection.
    this.expiryTimer = clock.setTimeout(() => this.closeSaying(new Error('the SVID this connection was authenticated with expired')), Math.max(0, this.expiresAt - clock.now()));
    this.helloTimer = clock.setTimeout(() => {
      if (this.linkKey === undefined) this.destroy(new LinkFrameError('unexpected', `no Hello within ${options.helloTimeoutMs} ms`));
    }, options.helloTimeoutMs);
    carrier.attach({
      onData: (chunk) => {
        if (this.closed || this.faults?.isCut(this.peer.spiffeId)) return;
        let handled = 0;
        try {
          const frames = this.reader.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          for (const frame of frames) {
            if (this.closed) return;
            this.onRecord(frame);
            // Counted once handled: a record that ended the connection (forged, out of place) is
            // not work done for the peer, and a chunk of many such would otherwise count them all.
            if (!this.closed) handled++;
          }
          this.watchPartialRecord(frames.length > 0);
        } catch (error) {
          this.destroy(error as Error);
        } finally {
          if (handled > 0) this.handlers.onRecords?.(handled);
        }
      },
      onClose: (error) => {
        if (error) this.failure ??= error;
        this.finish();
      },
      onDrain: () => {
        if (!this.closed) this.handlers.onDrain(this);
      },
    });
    this.session.start();
  }

  /** Closed for good (destroyed, or ended by either side). */
  get ended(): boolean {
    return this.closed;
  }

  get open(): boolean {
    return !this.closed && this.carrier.writable && this.session.state !== 'failed';
  }

  /** What is written waits in the transport's buffer beyond its mark: a backlog waits for onDrain. */
  get congested(): boolean {
    return this.carrier.congested;
  }

  /** Seals and sends a frame (queued by the session until its handshake ends). */
  send(frame: LinkFrame): void {
    if (!this.open || (isHeartbeat(frame) && this.faults?.dropsHeartbeat(this.peer.spiffeId))) return;
    this.session.send(encodeFrameBody(frame));
  }

  /**
   * Ends this side cleanly after what is queued. The peer's traffic still arrives until it ends its
   * side too, which it does on the goodbye; a peer that keeps the connection open (and this side
   * reading, and holding its buffers) is cut off after GOODBYE_DRAIN_MS.
   */
  goodbye(reason: string): void {
    if (this.closed) return;
    if (this.open) {
      if (this.session.state === 'established') this.send({ kind: 'goodbye', reason });
      this.carrier.end();
    }
    this.drainTimer ??= this.clock.setTimeout(() => this.destroy(), GOODBYE_DRAIN_MS);
  }

  /**
   * Stops (false) or resumes (true) reading the peer's bytes (the node's bus holds messages back):
   * what is unread waits in the network's buffers and the peer's window.
   */
  setReading(reading: boolean): void {
    if (this.closed || reading === this.reading) return;
    this.reading = reading;
    this.carrier.setReading(reading);
    // A record left half read while this side does not read is not the peer's delay.
    this.watchPartialRecord(true);
  }

  destroy(error?: Error): void {
    if (error) this.failure ??= error;
    this.carrier.destroy();
    this.finish();
  }

  /**
   * Ends the connection for a reason of this side's own (an SVID expired, a CA retired, the peer
   * silent or not re-authenticating): the peer is told why in a goodbye, so it reads no failure of
   * this node into the close (membership suspects a peer whose connection closes without one). The
   * connection is over for this side at once; its socket goes after the goodbye drain at the latest.
   */
  closeSaying(error: Error): void {
    if (this.closed) return;
    this.failure ??= error;
    if (this.open && this.session.state === 'established') {
      this.send({ kind: 'goodbye', reason: `${error.name}: ${error.message}` });
      this.carrier.end();
      this.finish();
      this.clock.setTimeout(() => this.carrier.destroy(), GOODBYE_DRAIN_MS);
      return;
    }
    this.destroy(error);
  }

  /**
   * The completion deadline runs from when the record now pending began: restarted whenever a
   * record completed (`restart`), so a steady stream whose chunks end mid-record never meets it.
   */
  private watchPartialRecord(restart: boolean): void {
    if (restart || this.reader.pendingBytes === 0) {
      this.clock.clearTimeout(this.recordTimer);
      this.recordTimer = undefined;
    }
    if (this.reader.pendingBytes === 0 || this.recordTimer !== undefined || !this.reading) return;
    this.recordTimer = this.clock.setTimeout(() => {
      this.recordTimer = undefined;
      this.destroy(new LinkFrameError('record-stalled', `a record begun was not complete within ${RECORD_COMPLETION_MS} ms (${this.reader.pendingBytes} bytes held)`));
    }, RECORD_COMPLETION_MS);
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
    if (isHeartbeat(frame) && this.faults?.dropsHeartbeat(this.peer.spiffeId)) return;
    if (!this.closed) this.handlers.onFrame(this, frame);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.expiryTimer);
    this.clock.clearTimeout(this.helloTimer);
    if (this.drainTimer !== undefined) this.clock.clearTimeout(this.drainTimer);
    if (this.recordTimer !== undefined) this.clock.clearTimeout(this.recordTimer);
    this.session.close();
    this.handlers.onClose(this, this.failure);
  }
}

function isHeartbeat(frame: LinkFrame): boolean {
  return frame.kind === 'ping' || frame.kind === 'pong';
}
