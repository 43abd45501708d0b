/**
 * The Transport: what the peer link needs of a network. It accepts and dials connections that are
 * already authenticated (each side proved an SVID and passed the policy) and carries the link's
 * records over them, in order, reliably, until one side closes. The peer link's own protocol
 * (Hello, streams, the post-quantum session bound to the connection) sits above it and is the same
 * whatever carries it: mutual TLS in production (actors/peer-link/tls-transport.ts), a simulated
 * network (seeded latency, loss, partitions) in the deterministic simulation.
 */
import type { ShedReason } from '../../../lib/mesh/links-state.js';
import type { HostPort } from '../../../lib/net/host-port.js';
import type { SvidCredentials } from '../../../lib/spiffe/mtls.js';
import type { PeerPolicy } from '../../../lib/spiffe/peer-policy.js';
import type { TrustAnchor } from '../../../lib/spiffe/trust-anchor.js';

/** The node's identity as the transport presents it: its SVID (chain, key, trust bundles) and what it says. */
export interface NodeCredentials extends SvidCredentials {
  spiffeId: string;
  trustDomain: string;
  /** Epoch ms: when the node's SVID stops verifying. */
  expiresAt: number;
}

/** What a connection's far side proved. */
export interface TransportPeer {
  spiffeId: string;
  /** Epoch ms: when the SVID it proved stops verifying. */
  expiresAt: number;
  /** DER SubjectPublicKeyInfo of that SVID's key: the post-quantum transcript is signed with it. */
  svidPublicKey: Uint8Array;
  /** The bundle root its chain was verified to: a bundle update without it ends the connection. */
  anchor: TrustAnchor;
}

export interface TransportConnectionEvents {
  /** Bytes from the peer, in order (record boundaries need not be kept: the link reassembles them). */
  onData(bytes: Uint8Array): void;
  /** Once, when the connection is gone; `error` when it ended abnormally. */
  onClose(error?: Error): void;
  /** What was written while `congested` has gone out: the connection takes writes again. */
  onDrain(): void;
}

export interface TransportConnection {
  readonly peer: TransportPeer;
  /** Epoch ms: when the SVID this side presented on the connection stops verifying. */
  readonly localExpiresAt: number;
  /** False once this side ended or lost the connection. */
  readonly writable: boolean;
  /**
   * True while what was written waits in the connection's buffer beyond its mark (the network or
   * the peer is slower than the writes), until `onDrain`. A writer that can wait (the link's
   * backlog) waits; the write itself still takes everything.
   */
  readonly congested: boolean;
  /**
   * Keying material both ends derive alike and no one else can (the TLS exporter, RFC 8446 §7.5):
   * the post-quantum session binds its handshake to this connection with it.
   */
  exportKeyingMaterial(length: number, label: string): Uint8Array;
  /** Starts delivery to `events`; data arriving before is held until then. Called once. */
  attach(events: TransportConnectionEvents): void;
  /** Writes one record given in several buffers (a record head, a sealed frame's parts) together and in order, without joining them first. */
  write(...chunks: Uint8Array[]): void;
  /**
   * Stops (false) or resumes (true) taking the peer's bytes. What is unread waits in the network's
   * buffers, and the peer's sends then wait on its flow-control window: the node's own backpressure
   * carried to the peer instead of held in memory. A new connection reads.
   */
  setReading(reading: boolean): void;
  /** Closes after what is written (and `last`, if given); the peer's bytes still arrive until it closes too. */
  end(last?: Uint8Array): void;
  /** Closes at once, discarding what is unsent. */
  destroy(): void;
}

export interface TransportEvents {
  /** An incoming connection whose peer was verified and authorized. */
  onConnection(connection: TransportConnection): void;
  /** An incoming connection refused: its peer's SVID was invalid or not authorized (`peer` when known). */
  onRefused(error: Error, peer?: string): void;
  /** An incoming handshake that failed before any identity was shown (scanners, dialers that refused this node, the handshake deadline). */
  onHandshakeFailure(): void;
  /** An incoming connection closed at once because its address, or the listener, held all it may. */
  onShed(reason: ShedReason): void;
  /** The listening socket failed after it started (an accept out of descriptors): reported, never thrown. */
  onListenerError(error: Error): void;
}

export interface Transport {
  /**
   * The node's SVID and who may link to it: used by new connections from now on (listening and
   * dialing), first or rotated. Nothing listens or dials before the first.
   */
  useCredentials(credentials: NodeCredentials, policies: readonly PeerPolicy[]): void;
  /** Accepts connections at `address` (port 0: any free port); resolves with the address bound, `host:port`. */
  listen(address: HostPort): Promise<string>;
  /**
   * A connection to `address` whose peer proved `expectedSpiffeId` and passed the policy; rejects
   * when it cannot be made, with the reason (another identity: UnexpectedPeerError).
   */
  dial(address: HostPort, expectedSpiffeId: string): Promise<TransportConnection>;
  /** Stops accepting, ends every connection still being set up; established ones belong to their users. */
  close(): Promise<void>;
}

/** A dialed peer proved another identity than the one the dialer meant to reach. */
export class UnexpectedPeerError extends Error {
  override readonly name = 'UnexpectedPeerError';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`dialed ${expected} but the peer proved ${actual}`);
  }
}
