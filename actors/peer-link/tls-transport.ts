/**
 * The Transport over mutual TLS 1.3 (actors/runtime/contracts/transport.ts): both sides present
 * their current X.509-SVID and verify the other's against the bundle of the peer's own trust
 * domain, then authorize its SPIFFE ID by policy (a dialer also checks that the peer is the one it
 * meant to reach). A new SVID serves new connections at once: `setSecureContext` for the listener,
 * the credentials of the moment for each dial.
 *
 * Why not gRPC here (ARCHITECTURE.md says why): @grpc/grpc-js hides the TLS socket, so it can
 * neither give the peer's full chain to our SPIFFE validation on the server side (it verifies
 * against one pooled CA list) nor export keying material, which the post-quantum session binds to.
 */
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { connect, createSecureContext, createServer, type Server, type TLSSocket } from 'node:tls';
import { formatHostPort, type HostPort } from '../../lib/net/host-port.js';
import { secureContextOptions, verifyPeerSvid } from '../../lib/spiffe/mtls.js';
import { PeerNotAuthorizedError, type PeerPolicy } from '../../lib/spiffe/peer-policy.js';
import { anchorOf } from '../../lib/spiffe/trust-anchor.js';
import type { VerifiedSvid } from '../../lib/spiffe/x509-svid.js';
import {
  UnexpectedPeerError,
  type NodeCredentials,
  type Transport,
  type TransportConnection,
  type TransportConnectionEvents,
  type TransportEvents,
  type TransportPeer,
} from '../runtime/contracts/transport.js';
import { encodeFrame } from './frame-codec.js';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from './listener-limits.js';

/**
 * Idle time before TCP keepalive probes start on an established connection: a peer that vanished
 * without a FIN (power cut, cable, NAT timeout) is found by the kernel instead of never.
 */
const KEEPALIVE_IDLE_MS = 15_000;

/** A dial whose TCP connect, TLS handshake and peer verification did not finish within the deadline. */
export class DialTimeoutError extends Error {
  override readonly name = 'DialTimeoutError';
  constructor(address: string, deadlineMs: number) {
    super(`no verified connection to ${address} within ${deadlineMs} ms`);
  }
}

/**
 * What a refused client is told. Only a client whose SVID verified (an identity of a trust domain
 * this node trusts) learns which rule refused it; anyone else learns nothing it could probe with.
 */
function refusalReason(error: Error): string {
  return error instanceof PeerNotAuthorizedError ? `refused: ${error.name}` : 'refused';
}

/** A verified TLS socket as a TransportConnection. */
class TlsConnection implements TransportConnection {
  readonly peer: TransportPeer;
  readonly localExpiresAt: number;
  private events: TransportConnectionEvents | undefined;
  private failure: Error | undefined;
  private closed = false;
  /** False while the user holds reading back (setReading). */
  private reading = true;

  constructor(
    private readonly socket: TLSSocket,
    verified: VerifiedSvid,
    credentials: NodeCredentials,
  ) {
    this.localExpiresAt = credentials.expiresAt;
    this.peer = {
      spiffeId: verified.spiffeId.id,
      expiresAt: verified.expiresAt.getTime(),
      svidPublicKey: new Uint8Array(verified.path[0]!.publicKey.rawData),
      anchor: anchorOf(verified),
    };
    socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
    socket.on('error', (error) => (this.failure ??= error));
    socket.once('close', () => {
      this.closed = true;
      this.events?.onClose(this.failure);
    });
  }

  get writable(): boolean {
    return !this.closed && !this.socket.destroyed && this.socket.writable;
  }

  get congested(): boolean {
    return this.socket.writableNeedDrain;
  }

  exportKeyingMaterial(length: number, label: string): Uint8Array {
    return this.socket.exportKeyingMaterial(length, label, Buffer.alloc(0));
  }

  attach(events: TransportConnectionEvents): void {
    this.events = events;
    // A socket without a 'data' listener stays paused: nothing read before this is lost.
    this.socket.on('data', (chunk: Buffer) => {
      events.onData(chunk);
      // One chunk per turn of the event loop: a peer streaming frames as fast as it can must not
      // keep this thread from everything else it serves, the host's liveness pings among them (a
      // thread that misses those is restarted as hung).
      this.socket.pause();
      setImmediate(() => {
        if (!this.socket.destroyed && this.reading) this.socket.resume();
      });
    });
    this.socket.on('drain', () => events.onDrain());
    // Held back before it was wired: the listener above must not start the flow.
    if (!this.reading) this.socket.pause();
    // Closed while it waited for its user: tell the user once it is wired (never from inside attach).
    if (this.closed) queueMicrotask(() => events.onClose(this.failure));
  }

  write(...chunks: Uint8Array[]): void {
    if (!this.writable) return;
    if (chunks.length === 1) {
      this.socket.write(chunks[0]!);
      return;
    }
    // Corked, the chunks reach TLS in one writev: one copy into its records, in C++, instead of
    // joining them in JavaScript first, and no TLS record per chunk.
    this.socket.cork();
    for (const chunk of chunks) this.socket.write(chunk);
    this.socket.uncork();
  }

  setReading(reading: boolean): void {
    if (reading === this.reading) return;
    this.reading = reading;
    // Before attach the socket has no 'data' listener and stays paused whatever this says.
    if (!this.events || this.socket.destroyed) return;
    if (reading) this.socket.resume();
    else this.socket.pause();
  }

  end(last?: Uint8Array): void {
    if (last) this.socket.end(last);
    else this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class TlsTransport implements Transport {
  private credentials: NodeCredentials | undefined;
  private policies: readonly PeerPolicy[] = [];
  /** The TLS endpoint; it owns no socket of its own: the front listener hands it what it admits. */
  private server: Server | undefined;
  /** The listening socket: it counts connections per address and sheds them before any TLS work. */
  private front: TcpServer | undefined;
  /** Sockets not yet handed over as connections: closed by close(). */
  private readonly pending = new Set<TLSSocket>();
  /** Connections held per remote address (admitted, not yet closed). */
  private readonly perAddress = new Map<string, number>();
  private readonly limits: ListenerLimits;
  private closing = false;

  constructor(
    private readonly events: TransportEvents,
    limits: Partial<ListenerLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LISTENER_LIMITS, ...limits };
  }

  /**
   * Throws, and keeps the credentials in use, when TLS refuses the new ones (a key that does not
   * match its certificate, a key below OpenSSL's security level): a refused rotation must not
   * leave later dials holding credentials that throw.
   */
  useCredentials(credentials: NodeCredentials, policies: readonly PeerPolicy[]): void {
    const options = secureContextOptions(credentials);
    // Built first, and thrown away: createSecureContext is where TLS refuses them.
    createSecureContext(options);
    if (this.credentials !== undefined) this.server?.setSecureContext(options);
    this.credentials = credentials;
    this.policies = policies;
  }

  async listen(address: HostPort): Promise<string> {
    const server = createServer({
      ...secureContextOptions(this.current()),
      requestCert: true,
      // The SPIFFE checks are ours (verifyPeerSvid): Node's would pool trust domains' roots.
      rejectUnauthorized: false,
      handshakeTimeout: this.limits.handshakeDeadlineMs,
    });
    server.on('secureConnection', (socket) => this.accept(socket));
    // A handshake that fails in TLS itself (or outlives its deadline) proves no identity: counted
    // apart from refusals. Node reports it and leaves the socket open (a timed-out one too): close it.
    server.on('tlsClientError', (_error, socket) => {
      socket.destroy();
      this.events.onHandshakeFailure();
    });
    this.server = server;
    const front = createTcpServer((socket) => this.admit(socket, server));
    front.maxConnections = this.limits.maxConnections;
    front.on('drop', () => this.events.onShed('listener-full'));
    this.front = front;
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.listen(address.port, address.host, () => {
        front.off('error', reject);
        resolve();
      });
    });
    // For the listener's whole life: an accept that fails (out of descriptors) must not become an
    // uncaught 'error' that kills the worker; the caps above are what keep it from happening.
    front.on('error', (error) => this.events.onListenerError(error));
    const bound = front.address() as AddressInfo;
    return formatHostPort({ host: bound.address, port: bound.port });
  }

  dial(address: HostPort, expectedSpiffeId: string): Promise<TransportConnection> {
    // A dial fails by rejecting, never by throwing: its caller is a statechart's action.
    try {
      return this.dialNow(address, expectedSpiffeId);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private dialNow(address: HostPort, expectedSpiffeId: string): Promise<TransportConnection> {
    const credentials = this.current();
    const policies = this.policies;
    const socket = connect({
      host: address.host,
      port: address.port,
      ...secureContextOptions(credentials),
      rejectUnauthorized: false,
      // Peers are named by SPIFFE ID, not host name: verifyPeerSvid does the checking.
      checkServerIdentity: () => undefined,
    });
    this.hold(socket);
    return new Promise((resolve, reject) => {
      // Until the peer is verified, any failure ends this attempt (once); after, the connection reports.
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        socket.destroy();
        reject(error);
      };
      // A peer that accepts TCP and then stalls TLS would otherwise hold this dial, and its link, forever.
      const deadline = setTimeout(() => fail(new DialTimeoutError(formatHostPort(address), this.limits.handshakeDeadlineMs)), this.limits.handshakeDeadlineMs);
      // The peer may hang up while this side still verifies it; then this side's own verdict is the better reason.
      let verifying: Promise<VerifiedSvid> | undefined;
      const lost = (error: Error) => {
        if (verifying) void verifying.then(() => fail(error), () => undefined);
        else fail(error);
      };
      socket.on('error', lost);
      socket.once('close', () => lost(new Error('the connection closed during the TLS handshake')));
      socket.once('secureConnect', () => {
        verifying = verifyPeerSvid(socket, credentials.bundles, policies).then((verified) => {
          if (verified.spiffeId.id !== expectedSpiffeId) throw new UnexpectedPeerError(expectedSpiffeId, verified.spiffeId.id);
          return verified;
        });
        verifying
          .then((verified) => {
            if (settled) return;
            if (this.closing || socket.destroyed) {
              fail(new Error('the connection closed during verification'));
              return;
            }
            settled = true;
            clearTimeout(deadline);
            socket.off('error', lost);
            this.pending.delete(socket);
            resolve(new TlsConnection(socket, verified, credentials));
          })
          .catch(fail);
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const socket of this.pending) socket.destroy();
    const front = this.front;
    if (front) await new Promise<void>((resolve) => front.close(() => resolve()));
  }

  /** Hands a new TCP connection to TLS unless its address already holds all it may. */
  private admit(socket: Socket, server: Server): void {
    const address = socket.remoteAddress ?? 'unknown';
    const held = this.perAddress.get(address) ?? 0;
    if (held >= this.limits.maxConnectionsPerAddress) {
      socket.destroy();
      this.events.onShed('per-address');
      return;
    }
    this.perAddress.set(address, held + 1);
    socket.once('close', () => {
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
    if (this.closing) socket.destroy();
    else server.emit('connection', socket);
  }

  private accept(socket: TLSSocket): void {
    // A handshake that ends after close() began: nobody would close this socket later.
    if (this.closing) {
      socket.destroy();
      return;
    }
    const credentials = this.current();
    this.hold(socket);
    // Errors before the connection is verified end in a refusal or a plain close; never unhandled.
    const ignore = () => undefined;
    socket.on('error', ignore);
    verifyPeerSvid(socket, credentials.bundles, this.policies).then(
      (verified) => {
        if (this.closing || socket.destroyed) {
          // Verified after close() began: close() destroyed what was pending then; this one is left to us.
          socket.destroy();
          return;
        }
        socket.off('error', ignore);
        this.pending.delete(socket);
        try {
          this.events.onConnection(new TlsConnection(socket, verified, credentials));
        } catch (error) {
          // Thrown here it would reject a promise nobody awaits, and an unhandled rejection ends
          // the process: a connection the node could not take on is closed and reported instead.
          socket.destroy();
          this.events.onListenerError(error instanceof Error ? error : new Error(String(error)));
        }
      },
      (error: Error) => {
        this.events.onRefused(error);
        if (socket.destroyed) return;
        // Say goodbye before closing, so the dialer's operator sees a refusal, not a reset; then
        // destroy it whether or not the client closes its side, which it may never do.
        socket.end(encodeFrame({ kind: 'goodbye', reason: refusalReason(error) }));
        setTimeout(() => socket.destroy(), this.limits.refusalLingerMs).unref();
      },
    );
  }

  private hold(socket: TLSSocket): void {
    this.pending.add(socket);
    socket.once('close', () => this.pending.delete(socket));
  }

  private current(): NodeCredentials {
    if (!this.credentials) throw new Error('the TLS transport has no SVID yet');
    return this.credentials;
  }
}
