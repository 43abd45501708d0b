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
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { formatHostPort, type HostPort } from '../../lib/net/host-port.js';
import { secureContextOptions, verifyPeerSvid } from '../../lib/spiffe/mtls.js';
import type { PeerPolicy } from '../../lib/spiffe/peer-policy.js';
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

/** A verified TLS socket as a TransportConnection. */
class TlsConnection implements TransportConnection {
  readonly peer: TransportPeer;
  readonly localExpiresAt: number;
  private events: TransportConnectionEvents | undefined;
  private failure: Error | undefined;
  private closed = false;

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
    };
    socket.on('error', (error) => (this.failure ??= error));
    socket.once('close', () => {
      this.closed = true;
      this.events?.onClose(this.failure);
    });
  }

  get writable(): boolean {
    return !this.closed && !this.socket.destroyed && this.socket.writable;
  }

  exportKeyingMaterial(length: number, label: string): Uint8Array {
    return this.socket.exportKeyingMaterial(length, label, Buffer.alloc(0));
  }

  attach(events: TransportConnectionEvents): void {
    this.events = events;
    // A socket without a 'data' listener stays paused: nothing read before this is lost.
    this.socket.on('data', (chunk: Buffer) => events.onData(chunk));
    // Closed while it waited for its user: tell the user once it is wired (never from inside attach).
    if (this.closed) queueMicrotask(() => events.onClose(this.failure));
  }

  write(bytes: Uint8Array): void {
    if (this.writable) this.socket.write(bytes);
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
  private server: Server | undefined;
  /** Sockets not yet handed over as connections: closed by close(). */
  private readonly pending = new Set<TLSSocket>();
  private closing = false;

  constructor(private readonly events: TransportEvents) {}

  useCredentials(credentials: NodeCredentials, policies: readonly PeerPolicy[]): void {
    const rotated = this.credentials !== undefined;
    this.credentials = credentials;
    this.policies = policies;
    if (rotated) this.server?.setSecureContext(secureContextOptions(credentials));
  }

  async listen(address: HostPort): Promise<string> {
    const server = createServer({
      ...secureContextOptions(this.current()),
      requestCert: true,
      // The SPIFFE checks are ours (verifyPeerSvid): Node's would pool trust domains' roots.
      rejectUnauthorized: false,
    });
    server.on('secureConnection', (socket) => this.accept(socket));
    // A handshake that fails in TLS itself proves no identity: counted apart from refusals.
    server.on('tlsClientError', () => this.events.onHandshakeFailure());
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address() as AddressInfo;
    return formatHostPort({ host: bound.address, port: bound.port });
  }

  dial(address: HostPort, expectedSpiffeId: string): Promise<TransportConnection> {
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
        socket.destroy();
        reject(error);
      };
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
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: TLSSocket): void {
    const credentials = this.current();
    this.hold(socket);
    // Errors before the connection is verified end in a refusal or a plain close; never unhandled.
    const ignore = () => undefined;
    socket.on('error', ignore);
    verifyPeerSvid(socket, credentials.bundles, this.policies).then(
      (verified) => {
        if (this.closing || socket.destroyed) return;
        socket.off('error', ignore);
        this.pending.delete(socket);
        this.events.onConnection(new TlsConnection(socket, verified, credentials));
      },
      (error: Error) => {
        this.events.onRefused(error);
        // Tell the dialer which rule it broke before closing: its operator sees a reason, not a reset.
        if (!socket.destroyed) socket.end(encodeFrame({ kind: 'goodbye', reason: `refused: ${error.name}` }));
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
