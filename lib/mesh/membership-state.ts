/**
 * What the peer-link actor reports of the mesh's membership (actors/peer-link/membership.ts), inside
 * `mesh.links`: the members this node knows from their signed records, and what it did with the
 * records peers sent it. One schema; the type is derived from it.
 */
import { z } from 'zod';
import type { MemberClaimRefusal } from './member-claim.js';
import { MAX_MEMBER_ADDRESSES, MAX_MEMBERS, MEMBER_STATUSES } from './member-limits.js';
import type { MemberRecordRefusal } from './member-record.js';

const count = z.int().min(0);
/** Incarnations are unsigned 64-bit: carried as decimal text, which JSON keeps exact. */
const incarnation = z.string().regex(/^\d{1,20}$/);

export const memberStateSchema = z.strictObject({
  spiffeId: z.string(),
  /** What this node holds it to be (member-limits.ts: alive, suspect, dead, left), and since when (epoch ms). */
  state: z.enum(MEMBER_STATUSES),
  since: z.number().int().nonnegative(),
  incarnation,
  /** Where it accepts peer links, as its record says. */
  addresses: z.array(z.string()).max(MAX_MEMBER_ADDRESSES),
  /** Epoch ms: when the member signed the record; when this node learned it. */
  issuedAt: z.number().int().nonnegative(),
  learnedAt: z.number().int().nonnegative(),
  /** Whether this node has a link up to it now. */
  linked: z.boolean(),
});

const CLAIM_REFUSALS = ['oversized', 'malformed', 'from-the-future', 'unknown-claimer', 'signature'] as const satisfies readonly MemberClaimRefusal[];
const REFUSALS = ['oversized', 'malformed', 'from-the-future', 'unauthorized', 'untrusted', 'binding', 'signature', 'full', 'overflow'] as const satisfies readonly (MemberRecordRefusal | 'full' | 'overflow')[];

export const membershipStateSchema = z.strictObject({
  /** This node's own incarnation, once it has signed its first record. */
  incarnation: incarnation.optional(),
  /** A status message crosses a thread: its list is bounded like the table it shows. */
  members: z.array(memberStateSchema).max(MAX_MEMBERS),
  /** Records that were news and verified. */
  learned: count,
  /** Records that changed nothing (copies of what this node held): dropped after reading their head. */
  stale: count,
  /** Records refused, by reason: a check of the record (member-record.ts), the table full, or the verification queue full. */
  refused: z.partialRecord(z.enum(REFUSALS), count),
  /** Claims (suspect, dead) that were news and verified, and those refused by reason (member-claim.ts). */
  claims: z.strictObject({ learned: count, stale: count, refused: z.partialRecord(z.enum(CLAIM_REFUSALS), count) }),
  /** Suspicions this node raised itself (its link to a member lost), and members it declared dead itself. */
  suspected: count,
  declaredDead: count,
  /**
   * SWIM's indirect probes (actors/peer-link/indirect-probes.ts): as requester, probes sent, those
   * that brought the member's signed proof of life (reached), answers taken, late answers; as
   * helper, requests passed on to their subject; as subject, pings signed; requests and pings over
   * a peer's budget; messages refused by reason; and lost links whose member was not suspected.
   */
  indirectProbes: z.strictObject({
    asked: count,
    reached: count,
    answered: count,
    late: count,
    relayed: count,
    signed: count,
    throttled: count,
    refused: z.partialRecord(z.enum(['oversized', 'malformed', 'unasked', 'forged']), count),
    notSuspected: count,
  }),
});

export type MemberState = z.infer<typeof memberStateSchema>;
export type MembershipState = z.infer<typeof membershipStateSchema>;

/** Before the node has an identity: no member, nothing received. */
export const NO_MEMBERS: MembershipState = {
  members: [],
  learned: 0,
  stale: 0,
  refused: {},
  claims: { learned: 0, stale: 0, refused: {} },
  suspected: 0,
  declaredDead: 0,
  indirectProbes: { asked: 0, reached: 0, answered: 0, late: 0, relayed: 0, signed: 0, throttled: 0, refused: {}, notSuspected: 0 },
};
