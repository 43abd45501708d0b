/**
 * What the peer-link actor reports of end-to-end messaging (actors/peer-link/end-to-end.ts) inside
 * `mesh.links`: messages sent, resent, delivered and forwarded, and what was dropped or refused, by
 * reason. One schema; the types are derived from it.
 */
import { z } from 'zod';

const count = z.int().min(0);

/**
 * Why a message or envelope was not passed on (counted, never an error of the sender's):
 * no-route, hop-limit (it reached 0), loop (the next hop is the neighbour it came from),
 * link-full (the next link's window), held-full (a destination's limit of unacknowledged
 * messages), unknown-destination (no alive member of that ID), beyond-window (ahead of what the
 * origin may have in flight), opening-rate (an origin's session openings, each an ML-DSA
 * verification, come faster than one per 100 ms).
 */
export const END_TO_END_DROPS = ['no-route', 'hop-limit', 'loop', 'link-full', 'held-full', 'unknown-destination', 'beyond-window', 'opening-rate'] as const;
export type EndToEndDrop = (typeof END_TO_END_DROPS)[number];

/**
 * Why an envelope for this node was refused: its bytes (oversized, malformed), an origin with no
 * alive member record, the opening's checks (signature, decapsulation), a body that does not
 * authenticate, an opening of a session this node replaced (replayed-session), an acknowledgement
 * or reset that does not check.
 */
export const END_TO_END_REFUSALS = ['oversized', 'malformed', 'unknown-origin', 'signature', 'decapsulation', 'authentication', 'replayed-session', 'bad-ack', 'bad-reset'] as const;
export type EndToEndRefusal = (typeof END_TO_END_REFUSALS)[number];

export const endToEndStateSchema = z.strictObject({
  /** Messages this node originated and sent once, and sent again (a route changed, or no acknowledgement came in time). */
  sent: count,
  resent: count,
  /** Messages for this node delivered (once each, in order), and copies of delivered ones dropped. */
  delivered: count,
  duplicates: count,
  /** Envelopes for others this node passed on. */
  forwarded: count,
  /** Acknowledgements this node sent as a destination. */
  acked: count,
  sessionsOpened: count,
  sessionsAccepted: count,
  /** Signed resets: sent for data of a session this node did not know, received for a session this node opened. */
  resets: z.strictObject({ sent: count, received: count }),
  dropped: z.partialRecord(z.enum(END_TO_END_DROPS), count),
  refused: z.partialRecord(z.enum(END_TO_END_REFUSALS), count),
  /** Messages this node holds unacknowledged, for every destination. */
  held: count,
  sessions: z.strictObject({ outgoing: count, incoming: count }),
});

export type EndToEndState = z.infer<typeof endToEndStateSchema>;

/** Before anything was sent or received. */
export const NO_END_TO_END: EndToEndState = {
  sent: 0,
  resent: 0,
  delivered: 0,
  duplicates: 0,
  forwarded: 0,
  acked: 0,
  sessionsOpened: 0,
  sessionsAccepted: 0,
  resets: { sent: 0, received: 0 },
  dropped: {},
  refused: {},
  held: 0,
  sessions: { outgoing: 0, incoming: 0 },
};
