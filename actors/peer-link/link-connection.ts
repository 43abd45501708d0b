/**
 * One mutual-TLS connection carrying a peer link: records in and out, its verified peer, and the
 * moment it must stop (the earlier expiry of the two SVIDs it was authenticated with: a
 * connection never outlives an identity).
 */
import type { TLSSocket } from 'node:tls';
import type { VerifiedSvid } from '../../lib/spiffe/x509-svid.js';
import { encodeFrame, RecordReader, type LinkFrame } from './frame-codec.js';
import { LinkFrameError } from './link-frame-error.js';

export interface ConnectionHandlers {
  onFrame(connection: LinkConnection, frame: LinkFrame): void;
  /** Once, when the socket is gone; `error` when it ended abnormally. */
  onClose(connection: LinkConnection, error?: Error): void;
}

let nextConnectionId = 1;

export class LinkConnection {
  readonly id = nextConnectionId++;
  readonly establishedAt = Date.now();
  readonly expiresAt: number;
  /** Set once the Hello exchange bound this connection to a link. */
  linkKey: string | undefined;
  readonly dialedLinkKey: string | undefined;
  private readonly reader = new RecordReader();
  private readonly expiryTimer: ReturnType<typeof setTimeout>;
  private closed = false;
  private failure: Error | undefined;

  private readonly helloTimer: ReturnType<typeof setTimeout>;

  constructor(
    readonly socket: TLSSocket,
    readonly peer: VerifiedSvid,
    options: {
      ownExpiresAt: number;
      helloTimeoutMs: number;
      /** The key of the link this side dialed the connection for; absent on accepted connections. */
      dialedLinkKey?: string;
    },
    private readonly handlers: ConnectionHandlers,
  ) {
    this.dialedLinkKey = options.dialedLinkKey;
    this.expiresAt = Math.min(options.ownExpiresAt, peer.expiresAt.getTime());
    this.expiryTimer = setTimeout(() => this.destroy(new Error('the SVID this connection was authenticated with expired')), Math.max(0, this.expiresAt - Date.now()));
    this.helloTimer = setTimeout(() => {
      if (this.linkKey === undefined) this.destroy(new LinkFrameError('unexpected', `no Hello within ${options.helloTimeoutMs} ms`));
    }, options.helloTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      let frames: LinkFrame[];
      try {
        frames = this.reader.push(chunk);
      } catch (error) {
        this.destroy(error as LinkFrameError);
        return;
      }
      for (const frame of frames) {
        if (this.closed) return;
        this.handlers.onFrame(this, frame);
      }
    });
    socket.on('error', (error) => (this.failure ??= error));
    socket.on('close', () => this.finish());
  }

  get open(): boolean {
    return !this.closed && !this.socket.destroyed && this.socket.writable;
  }

  send(frame: LinkFrame): void {
    if (this.open) this.socket.write(encodeFrame(frame));
  }

  /** Ends this side cleanly after what is queued (the peer's traffic still arrives until it ends too). */
  goodbye(reason: string): void {
    if (!this.open) return;
    this.send({ kind: 'goodbye', reason });
    this.socket.end();
  }

  destroy(error?: Error): void {
    if (error) this.failure ??= error;
    this.socket.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiryTimer);
    clearTimeout(this.helloTimer);
    this.handlers.onClose(this, this.failure);
  }
}
