/**
 * The peer links of a node: a mutual-TLS listener and a dialer per configured peer, each link a
 * reliable ordered message stream (link-stream.ts) carried by one connection at a time.
 *
 * Identity: both sides present their current X.509-SVID and verify the other's against the
 * bundle of the peer's own trust domain, then authorize its SPIFFE ID by policy (a dialer also
 * checks that the peer is the one it meant to reach). A new SVID serves new connections at once
 * (`setSecureContext`, and new dials), and every established link re-authenticates: the dialer
 * opens a new connection with the new SVID, the link moves to it once the Hellos are exchanged,
 * and the old connection is closed after that (make before break), so traffic never stops. A
 * connection is also re-authenticated when a quarter of its lifetime remains, and it is closed
 * when either SVID expires, whichever side's SVID rotates first.
 *
 * Why not gRPC here (ARCHITECTURE.md says gRPC): @grpc/grpc-js hides the TLS socket, so it can
 * neither give the peer's full chain to our SPIFFE validation on the server side (it verifies
 * against one pooled CA list) nor export keying material, which the post-quantum session binds
 * to. Plain TLS 1.3 with length-prefixed protobuf records (link.proto) gives both.
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { loadPqc, type Pqc } from '../../lib/crypto/liboqs.js';
import { encodeNodeRecord } from '../../lib/crypto/node-record.js';
import { selfTestXWing } from '../../lib/crypto/self-test.js';
import type { LocalIdentity } from '../../lib/crypto/pq-handshake.js';
import { DEFAULT_SUITES, type SuiteName } from '../../lib/crypto/pq-suites.js';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { secureContextOptions, verifyPeerSvid, type SvidCredentials } from '../../lib/spiffe/mtls.js';
import type { PeerPolicy } from '../../lib/spiffe/peer-policy.js';
import type { VerifiedSvid } from '../../lib/spiffe/x509-svid.js';
import { encodeFrame, LINK_ID_BYTES, LINK_PROTOCOL_VERSION, type LinkFrame } from './frame-codec.js';
import { toPeerPolicies, type AuthorizeEntry } from './authorize.js';
import { LinkConnection } from './link-connection.js';
import { LinkFrameError } from './link-frame-error.js';
import { LinkStream, SendWindowFullError } from './link-stream.js';
import { HANDSHAKE_SECONDS_BUCKETS, type LinkRole, type LinkState, type MeshLinksState } from '../../lib/mesh/links-state.js';
import { formatHostPort, type HostPort } from '../../lib/net/host-port.js';
import { backoffDelayMs } from '../../lib/timing/backoff.js';

export interface NodeCredentials extends SvidCredentials {
  spiffeId: string;
  trustDomain: string;
  /** Epoch ms: when the node's SVID stops verifying. */
  expiresAt: number;
}

export interface PeerEndpoint {
  address: HostPort;
  spiffeId: string;
}

/** The post-quantum session every connection carries (no link goes without one). */
export interface TransportPostQuantum {
  /** Offered (dialer, in preference order) and accepted (acceptor). */
  suites: readonly SuiteName[];
  rekeyAfterFrames?: number;
  rekeyAfterMs?: number;
}

export interface TransportOptions {
  listen?: HostPort;
  postQuantum?: TransportPostQuantum;
  peers: readonly PeerEndpoint[];
  authorize: readonly AuthorizeEntry[];
  onMessage(from: string, topic: string, payload: Buffer): void;
  onState(state: MeshLinksState): void;
  onLog?(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
  timing?: Partial<TransportTiming>;
}

export interface TransportTiming {
  /** A connection that has not said Hello by then is dropped. */
  helloTimeoutMs: number;
  /** Acknowledge at the latest this long after a delivery. */
  ackDelayMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** A link with no connection left is forgotten after this long (acceptor side; the dialer keeps trying). */
  resumeWindowMs: number;
  /** State reports are coalesced over this long. */
  reportEveryMs: number;
}

export const DEFAULT_TRANSPORT_TIMING: TransportTiming = {
  helloTimeoutMs: 5_000,
  ackDelayMs: 20,
  reconnectMinMs: 100,
  reconnectMaxMs: 10_000,
  resumeWindowMs: 60_000,
  reportEveryMs: 100,
};

/** Redials spread over ±20% of their nominal delay, so the peers of a restarted node do not all dial it at once. */
export const RECONNECT_JITTER = 0.2;
/** Re-authenticate when this fraction of a connection's lifetime is left (SPIRE rotates at half-life, so rotation usually comes first). */
export const REAUTH_REMAINING_FRACTION = 0.25;
/** Links one node accepts in all, and per peer identity: bounds what an authorized but misbehaving peer can hold. */
export const MAX_ACCEPTED_LINKS = 1_024;
export const MAX_LINKS_PER_PEER = 4;

export class UnexpectedPeerError extends Error {
  override readonly name = 'UnexpectedPeerError';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`dialed ${expected} but the peer proved ${actual}`);
  }
}

interface Link {
  key: string;
  linkId: Buffer;
  role: LinkRole;
  peer: string;
  endpoint?: PeerEndpoint;
  stream: LinkStream;
  active: LinkConnection | undefined;
  dialing: boolean;
  connections: number;
  reauths: number;
  /** Messages refused because the send window was full. */
  dropped: number;
  attempts: number;
  lastError?: string;
  reconnectTimer?: ReturnType<typeof setTimeout>;
  reauthTimer?: ReturnType<typeof setTimeout>;
  ackTimer?: ReturnType<typeof setTimeout>;
  forgetTimer?: ReturnType<typeof setTimeout>;
  /** Set when the next bound connection replaces a live one for re-authentication. */
  reauthPending: boolean;
}

export class PeerLinkTransport {
  private readonly timing: TransportTiming;
  private readonly links = new Map<string, Link>();
  private readonly dialers = new Map<string, Link>();
  private readonly pendingSockets = new Set<TLSSocket>();
  private credentials: NodeCredentials | undefined;
  private policies: readonly PeerPolicy[] = [];
  private pqc: Pqc | undefined;
  private mldsa: { publicKey: Uint8Array; secretKey: Uint8Array } | undefined;
  private local: LocalIdentity | undefined;
  private readonly pqCounters = {
    handshakes: 0,
    rekeys: 0,
    failures: {} as Record<string, number>,
    lastHandshakeMs: 0,
    handshakeSeconds: { cumulative: HANDSHAKE_SECONDS_BUCKETS.map(() => 0), sum: 0 },
  };
  private server: Server | undefined;
  private listening: string | undefined;
  private refused = 0;
  private handshakeFailures = 0;
  private lastRefusal: string | undefined;
  private unroutable = 0;
  private reportTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly options: TransportOptions) {
    this.timing = { ...DEFAULT_TRANSPORT_TIMING, ...options.timing };
    for (const endpoint of options.peers) {
      const linkId = randomBytes(LINK_ID_BYTES);
      const link = this.newLink(linkId, 'dialer', endpoint.spiffeId);
      link.endpoint = endpoint;
      this.dialers.set(endpoint.spiffeId, link);
    }
  }

  /** The node's SVID, first or rotated: the first starts listening and dialing, each later one re-authenticates every link. */
  async updateCredentials(credentials: NodeCredentials): Promise<void> {
    if (this.stopped) return;
    const first = this.credentials === undefined;
    if (!this.pqc) {
      const pqc = await loadPqc();
      // This thread's liboqs instance answers X-Wing's known answers (ML-KEM-768, X25519, SHA-3) before
      // any link uses it; the full self-test ran in the main thread at start (cli/run-node.ts).
      selfTestXWing(pqc);
      this.pqc = pqc;
    }
    // The node's ML-DSA-65 key lives as long as this transport; each SVID gets a node record binding it to the SPIFFE ID.
    this.mldsa ??= this.pqc.mldsa65.keypair();
    const svidKey = createPrivateKey({ key: Buffer.from(credentials.privateKey), format: 'der', type: 'pkcs8' });
    this.local = {
      spiffeId: credentials.spiffeId,
      svidKey,
      mldsa: this.mldsa,
      record: encodeNodeRecord({ spiffeId: credentials.spiffeId, mldsaPublicKey: this.mldsa.publicKey, notAfter: credentials.expiresAt }, svidKey),
    };
    this.credentials = credentials;
    this.policies = toPeerPolicies(this.options.authorize, credentials.trustDomain);
    if (first) {
      if (this.options.listen) await this.listen(this.options.listen);
      for (const link of this.dialers.values()) this.dial(link);
    } else {
      this.server?.setSecureContext(secureContextOptions(credentials));
      for (const link of this.links.values()) this.reauthenticate(link, 'the node SVID was rotated');
    }
    this.report();
  }

  /** Queues a message for a peer; false when no link leads there or the link's window is full. */
  send(to: string, topic: string, payload: Buffer): boolean {
    const link = this.dialers.get(to) ?? this.acceptedLinkTo(to);
    if (!link) {
      this.unroutable++;
      this.report();
      return false;
    }
    let message;
    try {
      message = link.stream.enqueue(topic, payload);
    } catch (error) {
      if (!(error instanceof SendWindowFullError)) throw error;
      link.dropped++;
      link.lastError = error.message;
      this.report();
      return false;
    }
    if (link.active && link.active.linkKey === link.key) {
      link.active.send({ kind: 'data', ...message });
      link.stream.markWritten(message.seq);
    }
    this.report();
    return true;
  }

  state(): MeshLinksState {
    return {
      ...(this.listening ? { listening: this.listening } : {}),
      ...(this.credentials ? { spiffeId: this.credentials.spiffeId } : {}),
      links: [...this.links.values()].map((link) => this.linkState(link)),
      refused: this.refused,
      handshakeFailures: this.handshakeFailures,
      pq: {
        handshakes: this.pqCounters.handshakes,
        rekeys: this.pqCounters.rekeys,
        failures: { ...this.pqCounters.failures },
        lastHandshakeMs: this.pqCounters.lastHandshakeMs,
        handshakeSeconds: { cumulative: [...this.pqCounters.handshakeSeconds.cumulative], sum: this.pqCounters.handshakeSeconds.sum },
      },
      ...(this.lastRefusal ? { lastRefusal: this.lastRefusal } : {}),
      unroutable: this.unroutable,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reportTimer);
    for (const link of this.links.values()) {
      this.clearTimers(link);
      link.active?.goodbye('the node is stopping');
    }
    for (const socket of this.pendingSockets) socket.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const link of this.links.values()) link.active?.destroy();
  }

  private async listen(address: HostPort): Promise<void> {
    const server = createServer({
      ...secureContextOptions(this.credentials!),
      requestCert: true,
      // The SPIFFE checks are ours (verifyPeerSvid): Node's would pool trust domains' roots.
      rejectUnauthorized: false,
    });
    server.on('secureConnection', (socket) => this.accept(socket));
    // A handshake that fails in TLS itself (a scanner, or a dialer that refused this node first) proves no identity: counted apart.
    server.on('tlsClientError', () => {
      this.handshakeFailures++;
      this.report();
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address() as AddressInfo;
    this.listening = formatHostPort({ host: bound.address, port: bound.port });
    this.log('info', 'peer link listening', { address: this.listening });
  }

  private accept(socket: TLSSocket): void {
    const credentials = this.credentials!;
    this.pendingSockets.add(socket);
    socket.once('close', () => this.pendingSockets.delete(socket));
    // Errors before the connection is verified end in a refusal or a plain close; never unhandled.
    socket.on('error', () => undefined);
    verifyPeerSvid(socket, credentials.bundles, this.policies).then(
      (verified) => {
        if (!this.stopped && !socket.destroyed) this.connection(socket, verified, credentials);
      },
      (error: Error) => {
        this.refuse(undefined, error);
        // Tell the dialer which rule it broke before closing: its operator sees a reason, not a reset.
        if (!socket.destroyed) socket.end(encodeFrame({ kind: 'goodbye', reason: `refused: ${error.name}` }));
      },
    );
  }

  private dial(link: Link): void {
    const credentials = this.credentials;
    const endpoint = link.endpoint!;
    if (this.stopped || link.dialing || !credentials) return;
    clearTimeout(link.reconnectTimer);
    link.dialing = true;
    const socket = connect({
      host: endpoint.address.host,
      port: endpoint.address.port,
      ...secureContextOptions(credentials),
      rejectUnauthorized: false,
      // Peers are named by SPIFFE ID, not host name: verifyPeerSvid does the checking.
      checkServerIdentity: () => undefined,
    });
    this.pendingSockets.add(socket);
    socket.once('close', () => this.pendingSockets.delete(socket));
    // Until the peer is verified, any failure ends this attempt (once); after, the connection reports.
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      link.dialing = false;
      socket.destroy();
      this.linkFailed(link, error);
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
      verifying = verifyPeerSvid(socket, credentials.bundles, this.policies).then((verified) => {
        if (verified.spiffeId.id !== endpoint.spiffeId) throw new UnexpectedPeerError(endpoint.spiffeId, verified.spiffeId.id);
        return verified;
      });
      verifying
        .then((verified) => {
          if (settled) return;
          if (this.stopped || socket.destroyed) {
            fail(new Error('the connection closed during verification'));
            return;
          }
          settled = true;
          const connection = this.connection(socket, verified, credentials, link.key);
          connection.send({ kind: 'hello', version: LINK_PROTOCOL_VERSION, linkId: link.linkId, incarnation: link.stream.incarnation, receiveNext: link.stream.receiveNext });
        })
        .catch(fail);
    });
  }

  private connection(socket: TLSSocket, verified: VerifiedSvid, credentials: NodeCredentials, dialedLinkKey?: string): LinkConnection {
    const pq = this.options.postQuantum;
    return new LinkConnection(
      socket,
      verified,
      {
        ownExpiresAt: credentials.expiresAt,
        helloTimeoutMs: this.timing.helloTimeoutMs,
        ...(dialedLinkKey !== undefined ? { dialedLinkKey } : {}),
        postQuantum: {
          pqc: this.pqc!,
          local: this.local!,
          suites: pq?.suites ?? DEFAULT_SUITES,
          ...(pq?.rekeyAfterFrames !== undefined ? { rekeyAfterFrames: pq.rekeyAfterFrames } : {}),
          ...(pq?.rekeyAfterMs !== undefined ? { rekeyAfterMs: pq.rekeyAfterMs } : {}),
          metrics: {
            handshake: (info) => {
              this.pqCounters.handshakes++;
              this.pqCounters.lastHandshakeMs = Math.round(info.durationMs * 100) / 100;
              const seconds = info.durationMs / 1000;
              HANDSHAKE_SECONDS_BUCKETS.forEach((bound, index) => {
                if (seconds <= bound) this.pqCounters.handshakeSeconds.cumulative[index]!++;
              });
              this.pqCounters.handshakeSeconds.sum += seconds;
              this.report();
            },
            rekey: () => {
              this.pqCounters.rekeys++;
              this.report();
            },
            failure: (info) => {
              this.pqCounters.failures[info.reason] = (this.pqCounters.failures[info.reason] ?? 0) + 1;
              this.report();
            },
          },
        },
      },
      {
        onFrame: (connection, frame) => {
          try {
            this.onFrame(connection, frame);
          } catch (error) {
            connection.destroy(error as Error);
          }
        },
        onClose: (connection, error) => this.onClose(connection, error),
      },
    );
  }

  private onFrame(connection: LinkConnection, frame: LinkFrame): void {
    const dialedFor = connection.dialedLinkKey !== undefined ? this.links.get(connection.dialedLinkKey) : undefined;
    if (connection.linkKey === undefined) {
      if (frame.kind === 'goodbye') throw new Error(`refused by the peer: ${frame.reason}`);
      if (frame.kind !== 'hello') throw new LinkFrameError('unexpected', `a ${frame.kind} frame before Hello`);
      const link = dialedFor ?? this.acceptedLink(connection, frame);
      if (!dialedFor) {
        connection.send({ kind: 'hello', version: LINK_PROTOCOL_VERSION, linkId: link.linkId, incarnation: link.stream.incarnation, receiveNext: link.stream.receiveNext });
      } else {
        link.dialing = false;
      }
      this.bind(link, connection, frame);
      return;
    }
    const link = this.links.get(connection.linkKey);
    if (!link) return;
    switch (frame.kind) {
      case 'data':
        if (link.stream.receive(frame.seq) === 'deliver') this.options.onMessage(link.peer, frame.topic, frame.payload);
        this.acknowledgeSoon(link, connection);
        this.report();
        return;
      case 'ack':
        link.stream.acknowledge(frame.receiveNext);
        this.report();
        return;
      case 'reauth':
        this.reauthenticate(link, 'the peer asked');
        return;
      case 'goodbye':
        // The peer moved on (to a newer connection, or away): finish this one.
        connection.socket.end();
        if (link.active !== connection) return;
        if (link.role === 'dialer' && link.reauthPending && link.dialing) {
          // The acceptor bound our replacement connection before we heard its Hello there: not a
          // loss of the link. Traffic waits in the stream and goes out when the replacement binds.
          link.active = undefined;
          this.log('info', 'peer link moving to its new connection', { peer: link.peer });
          return;
        }
        this.detach(link, `the peer said goodbye: ${frame.reason}`);
        return;
      case 'hello':
        throw new LinkFrameError('unexpected', 'a second Hello on one connection');
    }
  }

  /** The acceptor's link for an incoming Hello: the one it resumes (same link, same peer), or a new one. */
  private acceptedLink(connection: LinkConnection, hello: Extract<LinkFrame, { kind: 'hello' }>): Link {
    const key = hello.linkId.toString('hex');
    const peer = connection.peer.spiffeId.id;
    const existing = this.links.get(key);
    if (existing) {
      if (existing.peer !== peer || existing.role !== 'acceptor') throw new LinkFrameError('unexpected', `link ${key} belongs to another peer`);
      return existing;
    }
    const ofPeer = [...this.links.values()].filter((link) => link.role === 'acceptor' && link.peer === peer);
    if (ofPeer.length >= MAX_LINKS_PER_PEER) {
      // A peer that reconnects under a new link id has restarted: its oldest idle link goes.
      const idle = ofPeer.find((link) => !link.active);
      if (!idle) throw new LinkFrameError('unexpected', `${peer} already has ${MAX_LINKS_PER_PEER} live links`);
      this.forget(idle);
    }
    if (this.links.size >= MAX_ACCEPTED_LINKS + this.dialers.size) throw new LinkFrameError('unexpected', `this node holds ${MAX_ACCEPTED_LINKS} accepted links`);
    return this.newLink(Buffer.from(hello.linkId), 'acceptor', peer);
  }

  /** Moves the link to this connection: resend what the peer has not got, then close the one it replaces. */
  private bind(link: Link, connection: LinkConnection, hello: Extract<LinkFrame, { kind: 'hello' }>): void {
    const previous = link.active;
    connection.linkKey = link.key;
    link.active = connection;
    link.connections++;
    link.attempts = 0;
    clearTimeout(link.forgetTimer);
    // A re-authentication counts when its new connection binds, whether or not the old one is still up.
    if (link.reauthPending) link.reauths++;
    link.reauthPending = false;
    delete link.lastError;
    for (const message of link.stream.onHello(hello.incarnation, hello.receiveNext)) {
      connection.send({ kind: 'data', ...message });
      link.stream.markWritten(message.seq);
    }
    if (previous && previous !== connection) previous.goodbye('re-authenticated on a new connection');
    this.scheduleReauth(link, connection);
    this.log('info', 'peer link up', { peer: link.peer, role: link.role, connection: connection.id, expiresAt: new Date(connection.expiresAt).toISOString() });
    this.report();
  }

  private onClose(connection: LinkConnection, error?: Error): void {
    const key = connection.linkKey;
    if (key === undefined) {
      const dialedFor = connection.dialedLinkKey !== undefined ? this.links.get(connection.dialedLinkKey) : undefined;
      if (dialedFor) {
        dialedFor.dialing = false;
        this.linkFailed(dialedFor, error ?? new Error('the peer closed the connection before Hello'));
      } else if (error) {
        this.refuse(connection.peer.spiffeId.id, error);
      }
      return;
    }
    const link = this.links.get(key);
    if (link && link.active === connection) this.detach(link, error ? `${error.name}: ${error.message}` : 'the connection closed');
  }

  /** The link lost its connection: a dialer reconnects; an acceptor waits for the peer to resume. */
  private detach(link: Link, reason: string): void {
    link.active = undefined;
    link.lastError = reason;
    clearTimeout(link.reauthTimer);
    if (this.stopped) return;
    if (link.role === 'dialer') this.scheduleDial(link);
    else link.forgetTimer = setTimeout(() => this.forget(link), this.timing.resumeWindowMs);
    this.log('warn', 'peer link down', { peer: link.peer, role: link.role, reason });
    this.report();
  }

  private linkFailed(link: Link, error: Error): void {
    link.lastError = `${error.name}: ${error.message}`;
    // A failed re-authentication retries too: the live connection still has to be replaced before it expires.
    if (!link.active || link.reauthPending) this.scheduleDial(link);
    this.log('warn', 'peer link attempt failed', { peer: link.peer, address: link.endpoint && formatHostPort(link.endpoint.address), reason: link.lastError });
    this.report();
  }

  private scheduleDial(link: Link): void {
    if (this.stopped || link.dialing) return;
    clearTimeout(link.reconnectTimer);
    link.attempts++;
    const delayMs = backoffDelayMs({ minMs: this.timing.reconnectMinMs, maxMs: this.timing.reconnectMaxMs, jitter: RECONNECT_JITTER }, link.attempts, Math.random);
    link.reconnectTimer = setTimeout(() => this.dial(link), delayMs);
  }

  private reauthenticate(link: Link, reason: string): void {
    if (this.stopped || !link.active) return;
    this.log('info', 'peer link re-authenticating', { peer: link.peer, role: link.role, reason });
    if (link.role === 'dialer') {
      link.reauthPending = true;
      this.dial(link);
    } else {
      link.active.send({ kind: 'reauth' });
    }
  }

  private scheduleReauth(link: Link, connection: LinkConnection): void {
    clearTimeout(link.reauthTimer);
    const lifetime = connection.expiresAt - connection.establishedAt;
    const at = connection.expiresAt - Math.max(1_000, lifetime * REAUTH_REMAINING_FRACTION);
    link.reauthTimer = setTimeout(() => this.reauthenticate(link, 'an SVID nears expiry'), Math.max(0, at - Date.now()));
  }

  private acknowledgeSoon(link: Link, connection: LinkConnection): void {
    if (link.stream.ackDue) {
      clearTimeout(link.ackTimer);
      link.ackTimer = undefined;
      connection.send({ kind: 'ack', receiveNext: link.stream.takeAck() });
      return;
    }
    link.ackTimer ??= setTimeout(() => {
      link.ackTimer = undefined;
      if (link.stream.ackPending) link.active?.send({ kind: 'ack', receiveNext: link.stream.takeAck() });
    }, this.timing.ackDelayMs);
  }

  private acceptedLinkTo(peer: string): Link | undefined {
    let chosen: Link | undefined;
    for (const link of this.links.values()) {
      if (link.role === 'acceptor' && link.peer === peer && (!chosen || (link.active && !chosen.active))) chosen = link;
    }
    return chosen;
  }

  private newLink(linkId: Buffer, role: LinkRole, peer: string): Link {
    const link: Link = {
      key: linkId.toString('hex'),
      linkId,
      role,
      peer,
      stream: new LinkStream(randomBytes(LINK_ID_BYTES)),
      active: undefined,
      dialing: false,
      connections: 0,
      reauths: 0,
      dropped: 0,
      attempts: 0,
      reauthPending: false,
    };
    this.links.set(link.key, link);
    return link;
  }

  private forget(link: Link): void {
    this.clearTimers(link);
    link.active?.destroy();
    this.links.delete(link.key);
    this.report();
  }

  private clearTimers(link: Link): void {
    clearTimeout(link.reconnectTimer);
    clearTimeout(link.reauthTimer);
    clearTimeout(link.ackTimer);
    clearTimeout(link.forgetTimer);
  }

  private refuse(peer: string | undefined, error: Error): void {
    this.refused++;
    this.lastRefusal = `${peer ? `${peer}: ` : ''}${error.name}: ${error.message}`;
    this.log('warn', 'peer connection refused', { peer, reason: this.lastRefusal });
    this.report();
  }

  private linkState(link: Link): LinkState {
    return {
      peer: link.peer,
      role: link.role,
      ...(link.endpoint ? { address: formatHostPort(link.endpoint.address) } : {}),
      status: link.active ? 'up' : link.role === 'dialer' ? 'connecting' : 'down',
      connections: link.connections,
      reauths: link.reauths,
      sent: link.stream.sent,
      delivered: link.stream.delivered,
      pending: link.stream.pending,
      retransmitted: link.stream.retransmitted,
      duplicates: link.stream.duplicates,
      dropped: link.dropped,
      ...(link.active ? { expiresAt: link.active.expiresAt } : {}),
      ...(link.active?.session.suite ? { suite: link.active.session.suite, epoch: link.active.session.epoch } : {}),
      ...(link.lastError ? { lastError: link.lastError } : {}),
    };
  }

  /** Coalesced: per-message counters change constantly, the report goes at most every reportEveryMs. */
  private report(): void {
    if (this.stopped || this.reportTimer) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      if (!this.stopped) this.options.onState(this.state());
    }, this.timing.reportEveryMs);
  }

  private log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void {
    this.options.onLog?.(level, message, fields);
  }
}
