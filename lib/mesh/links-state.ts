/**
 * What the peer-link actor publishes on `mesh.links` (machines/peer-link.ts; status shows it):
 * the transport's listener and every link, and the actor's phase. The schemas are the one
 * definition: the bus checks every message against them, the CLI checks the status that carries
 * them, and the types below are derived from them.
 */
import { z } from 'zod';
import { endToEndStateSchema } from './end-to-end-state.js';
import { membershipStateSchema } from './membership-state.js';
import { routingStateSchema } from './routing-state.js';
import type { RemotePayloadRejection } from './remote-payload.js';

const count = z.int().min(0);
const epochMs = z.number().int().nonnegative();

export { HANDSHAKE_SECONDS_BUCKETS } from './handshake-buckets.js';

/** A status message crosses a thread: a bound on its lists bounds what a confused worker can make the host hold. */
const MAX_LINKS = 10_000;
const MAX_HISTOGRAM_BUCKETS = 32;

export const linkStateSchema = z.strictObject({
  peer: z.string(),
  role: z.enum(['dialer', 'acceptor']),
  /** The address dialed (dialer links only). */
  address: z.string().optional(),
  status: z.enum(['connecting', 'up', 'down']),
  /** Connections established over the link's life: the first, reconnections and re-authentications. */
  connections: count,
  /** Moves to a new connection made because an SVID was rotated or neared expiry. */
  reauths: count,
  /** Dialer: the peer's requests to re-authenticate not honoured on their own (too soon after its last, or while one was under way): a flood shows here. */
  peerReauthsDeferred: count,
  /** The node's messages queued on the link and delivered from it: end-to-end envelopes (mesh.send's, this node's or forwarded, and their acknowledgements) and direct messages (membership and routing are counted apart, below). */
  sent: count,
  delivered: count,
  /** The links' own messages (member records, claims, routes) sent and delivered on the link; `pending` and `unwritten` count them too. */
  controlSent: count,
  controlDelivered: count,
  /** Sent and not yet acknowledged by the peer. */
  pending: count,
  /** Of those, not yet written on the current connection: waiting for it to drain (a slow peer or network) or to come up. */
  unwritten: count,
  retransmitted: count,
  duplicates: count,
  /** Refused because the link held its whole window unacknowledged. */
  dropped: count,
  /** Epoch ms: when the current connection's SVIDs stop being valid. */
  expiresAt: epochMs.optional(),
  /** The current connection's post-quantum session: its hybrid suite and key epoch (rekeys so far). */
  suite: z.string().optional(),
  epoch: count.optional(),
  /** The SHA-256 (hex) of the peer's ML-DSA-65 public key, from the node record its current connection's handshake verified. */
  peerKey: z.string().optional(),
  /** The failure detector's suspicion of the peer now (phi-accrual: -log10 of the chance it is only late), while the link is up. */
  phi: z.number().nonnegative().optional(),
  /** Round trip of the heartbeats, smoothed (RFC 6298's eighth), ms. */
  rttMs: z.number().nonnegative().optional(),
  lastError: z.string().optional(),
});

/** Why the listener closed a connection at once, before its handshake: its address, or the listener, held all it may. */
/** per-address: over an address's TCP connections; listener-full: over the listener's; per-peer: over one authenticated peer's open connections. */
export const SHED_REASONS = ['per-address', 'listener-full', 'per-peer'] as const;
export type ShedReason = (typeof SHED_REASONS)[number];

/** The post-quantum sessions of all links: handshakes, rekeys, and failures by reason. */
export const postQuantumCountersSchema = z.strictObject({
  handshakes: count,
  rekeys: count,
  failures: z.record(z.string(), count),
  lastHandshakeMs: z.number().nonnegative(),
  /** Handshake durations: cumulative counts per HANDSHAKE_SECONDS_BUCKETS bound, and their sum. */
  handshakeSeconds: z.strictObject({ cumulative: z.array(count).max(MAX_HISTOGRAM_BUCKETS), sum: z.number().nonnegative() }),
});

const meshLinksShape = {
  /** `host:port` once listening. */
  listening: z.string().optional(),
  spiffeId: z.string().optional(),
  /** The SHA-256 (hex) of this node's ML-DSA-65 public key: the same across restarts (lib/crypto/node-key-file.ts). */
  nodeKey: z.string().optional(),
  links: z.array(linkStateSchema).max(MAX_LINKS),
  /** Connections refused: peer SVID invalid, not authorized, or protocol broken before a link was bound. */
  refused: count,
  lastRefusal: z.string().optional(),
  /** Incoming TLS handshakes that failed before any identity was shown (scanners; dialers that refused this node first). */
  handshakeFailures: count,
  pq: postQuantumCountersSchema,
  /** Messages for a peer no link leads to. */
  unroutable: count,
  /**
   * Times the links stopped reading because the node's bus held the peers' messages back (a
   * subscriber of mesh.recv had a full mailbox), and whether they are stopped now: the peers'
   * sends then wait on their TCP windows instead of in this node's memory.
   */
  readHolds: count,
  readingHeld: z.boolean(),
  /** Incoming connections closed at once by the listener's caps (actors/peer-link/listener-limits.ts), by reason. */
  shed: z.strictObject({ 'per-address': count, 'listener-full': count, 'per-peer': count }) satisfies z.ZodType<Record<ShedReason, number>>,
  /** Peer messages dropped because their payload's structure was refused (remote-payload.ts), by reason. */
  rejectedPayloads: z.strictObject({ 'not-json': count, 'too-deep': count }) satisfies z.ZodType<Record<RemotePayloadRejection, number>>,
  /** Frames on a reserved (`$`) topic this node's version does not know: dropped, the link goes on (a newer peer's control message). */
  unknownControl: count,
  /** Connections closed because their peer fell silent: its failure detector's phi passed the threshold (actors/peer-link/link-heartbeat.ts). */
  silentPeers: count,
  /**
   * This node's own health as its heartbeat timers see it (Lifeguard): 0 when they fire on time, up
   * to 8 when its event loop is late; a silence must be that many times longer before it accuses a peer.
   */
  localHealth: count,
  /** The members this node knows by gossip (actors/peer-link/membership.ts). */
  membership: membershipStateSchema,
  /** Its routes to the members (actors/peer-link/mesh-routing.ts). */
  routing: routingStateSchema,
  /** Messages to and from any member over those routes (actors/peer-link/end-to-end.ts). */
  endToEnd: endToEndStateSchema,
};

/** The transport's state, as it reports it to the peer-link machine. */
export const meshLinksStateSchema = z.strictObject(meshLinksShape);

export const PEER_LINK_PHASES = ['waitingForSvid', 'serving', 'failed'] as const;

/** What `mesh.links` carries: the transport's state and the actor's phase (with why it failed). */
export const meshLinksSchema = z.strictObject({
  phase: z.enum(PEER_LINK_PHASES),
  reason: z.string().optional(),
  ...meshLinksShape,
});

export type LinkState = z.infer<typeof linkStateSchema>;
export type LinkRole = LinkState['role'];
export type LinkStatus = LinkState['status'];
export type PostQuantumCounters = z.infer<typeof postQuantumCountersSchema>;
export type MeshLinksState = z.infer<typeof meshLinksStateSchema>;
export type MeshLinksMessage = z.infer<typeof meshLinksSchema>;
export type PeerLinkPhase = MeshLinksMessage['phase'];
