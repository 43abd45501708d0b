/**
 * The members this node knows: for each SPIFFE ID the newest member record it verified
 * (lib/mesh/member-record.ts), kept as the signed bytes so it can be relayed as it was signed. A
 * record is news when its incarnation is higher than the one known, or equal with `left` over
 * `alive` (a graceful leave supersedes the record it ends); anything else is stale and is dropped
 * after reading its head, before any signature is checked. A record is kept until it stops
 * verifying (its chain or binding expires): a node that is alive issues a new one before then, and
 * a `left` record kept that long shuts out a replay of any older record of the same node, which
 * has expired by the time the tombstone goes.
 *
 * Pure: the caller verifies (verifyMemberRecord) and says what time it is.
 */
import { MAX_MEMBER_TABLE_BYTES, MAX_MEMBERS, type MemberRecordState, type MemberStatus } from '../../lib/mesh/member-limits.js';
import { peekMemberRecord, type MemberRecord, type VerifiedMemberRecord } from '../../lib/mesh/member-record.js';

export { MAX_MEMBERS };

export interface Member {
  record: VerifiedMemberRecord;
  /** The record as its node signed it: what this node relays. */
  bytes: Buffer;
  /** Clock ms when this node learned this record. */
  learnedAt: number;
  /** What this node holds the member to be now (membership.ts), and since when (clock ms). */
  status: MemberStatus;
  since: number;
  /**
   * The claims about the record's incarnation this node took (suspect and dead, by claimer), as
   * signed: relayed once, and given to the member when it links, so it can refute them. A newer
   * record starts the list over.
   */
  claims: Map<string, Buffer>;
  /** Every claim about the record's incarnation this node took or made, kept or not (by kind and claimer): a claim seen is never taken or relayed again. */
  seen: Set<string>;
}

/** Claims kept per member's record: enough for it to learn it must refute, few enough that a mass failure cannot fill the table with them. */
export const MAX_CLAIMS_PER_MEMBER = 4;

/** What a record's head says compared with what the table holds. */
export type RecordNews = 'news' | 'stale' | 'full';

/** The order of records of one node: a higher incarnation, then `left` over `alive`. */
export function newerRecord(candidate: Pick<MemberRecord, 'incarnation' | 'state'>, known: Pick<MemberRecord, 'incarnation' | 'state'>): boolean {
  if (candidate.incarnation !== known.incarnation) return candidate.incarnation > known.incarnation;
  return stateRank(candidate.state) > stateRank(known.state);
}

function stateRank(state: MemberRecordState): number {
  return state === 'left' ? 1 : 0;
}

function claimBytes(member: Member): number {
  let total = 0;
  for (const claim of member.claims.values()) total += claim.length;
  return total;
}

export class MemberTable {
  private readonly members = new Map<string, Member>();
  /** The signed records held, in bytes (MAX_MEMBER_TABLE_BYTES bounds it). */
  private bytes = 0;

  constructor(private readonly selfId: () => string | undefined) {}

  get size(): number {
    return this.members.size;
  }

  values(): IterableIterator<Member> {
    return this.members.values();
  }

  get(spiffeId: string): Member | undefined {
    return this.members.get(spiffeId);
  }

  /** Whether a record with this head would change the table (a record about this node itself never does: it is the node's own to issue). */
  newsOf(head: Pick<MemberRecord, 'spiffeId' | 'incarnation' | 'state'>): RecordNews {
    if (head.spiffeId === this.selfId()) return 'stale';
    const known = this.members.get(head.spiffeId);
    if (known) return newerRecord(head, known.record) ? 'news' : 'stale';
    return this.members.size >= MAX_MEMBERS || this.bytes >= MAX_MEMBER_TABLE_BYTES ? 'full' : 'news';
  }

  /** Reads a record's head (bounded, unverified): throws MemberRecordError when it does not parse. */
  peek(bytes: Uint8Array): MemberRecord {
    return peekMemberRecord(bytes);
  }

  /** Keeps a verified record if it is still news (another copy, or other members, may have been taken while it was verified). */
  take(record: VerifiedMemberRecord, bytes: Buffer, now: number): RecordNews {
    const news = this.newsOf(record);
    if (news !== 'news') return news;
    const previous = this.members.get(record.spiffeId);
    this.bytes += bytes.length - (previous ? previous.bytes.length + claimBytes(previous) : 0);
    this.members.set(record.spiffeId, { record, bytes, learnedAt: now, status: record.state, since: now, claims: new Map(), seen: new Set() });
    return 'news';
  }

  /**
   * Keeps a claim about a member's current record, to give the member when it links; false when
   * the member holds as many as it may or the table is full (the claim still counts, it is only not kept).
   */
  keepClaim(member: Member, key: string, bytes: Buffer): boolean {
    const previous = member.claims.get(key);
    if ((!previous && member.claims.size >= MAX_CLAIMS_PER_MEMBER) || this.bytes - (previous?.length ?? 0) + bytes.length > MAX_MEMBER_TABLE_BYTES) return false;
    member.claims.set(key, bytes);
    this.bytes += bytes.length - (previous?.length ?? 0);
    return true;
  }

  /** Drops the records that stopped verifying; returns the IDs dropped. */
  expire(now: number): string[] {
    const expired: string[] = [];
    for (const [spiffeId, member] of this.members) {
      if (member.record.expiresAt <= now) {
        this.members.delete(spiffeId);
        this.bytes -= member.bytes.length + claimBytes(member);
        expired.push(spiffeId);
      }
    }
    return expired;
  }
}
