/**
 * Which members are alive, SWIM's way (Das, Gupta, Motivala 2002) with Lifeguard's refinements:
 * a node that loses its link to a member (the connection closed without a goodbye, or the failure
 * detector found it silent) suspects it and says so in a claim signed with its own ML-DSA key
 * (lib/mesh/member-claim.ts), which floods the mesh like a record. Every node that takes the claim
 * holds the member suspect; the member, when the claim reaches it, refutes it by issuing a record
 * with a higher incarnation, which clears every suspicion of it. A suspicion not refuted within the
 * suspicion timeout becomes `dead`, and the node that raised it says so in a `dead` claim. A member
 * whose address refuses a connection outright (its process is gone, its port closed) is declared
 * dead at once by the node that lost it: a kill takes milliseconds to find, a freeze the detector's
 * time plus the timeout. Before it suspects, the node asks some of its other peers whether the member
 * is alive to them (SWIM's indirect probe, indirect-probes.ts): if one says so, only the link failed
 * (a cut cable, a dropped route) and the member is not suspected at all.
 *
 * The timeout shrinks as independent claimers confirm the suspicion (Lifeguard's dynamic
 * suspicion timeout): from its maximum with one claimer to its minimum with `confirmations` more.
 * No single member can make a node hold another dead: a claim from another member, `dead` or
 * `suspect`, is one confirmation of a suspicion this node then times out itself, and a node that
 * holds a live link to the subject takes no claim about it (it relays it). A claim is about one
 * incarnation: one about an older record than the one held changes nothing, and a member refutes
 * only a claim about its current incarnation, with the next one, so no claim can push its
 * incarnation anywhere else.
 */
import { encodeMemberClaim, MemberClaimError, peekMemberClaim, verifyMemberClaim, type MemberClaim, type MemberClaimKind, type MemberClaimRefusal } from '../../lib/mesh/member-claim.js';
import { DEFAULT_SUSPICION_TIMING, type SuspicionTiming } from '../../lib/mesh/failure-detection.js';
import type { MemberSigning } from '../../lib/mesh/member-record.js';
import type { Clock, TimerHandle } from '../../lib/timing/clock.js';
import type { Member, MemberTable } from './member-table.js';

/** The reserved topic claims travel on. */
export const CLAIM_TOPIC = '$claim';

export { DEFAULT_SUSPICION_TIMING, type SuspicionTiming };

/** Claims one member's record is known to have drawn (kept or not): beyond it, a claim is dropped unread, so no claim circulates twice. */
export const MAX_SEEN_CLAIMS = 64;

/** Refusals only a forger or a broken sender causes: its connection is closed, as for records. */
const MISBEHAVIOUR: ReadonlySet<MemberClaimRefusal> = new Set(['oversized', 'malformed', 'signature']);

export type ProbeVerdict = 'refused' | 'unknown';

export interface SuspicionPorts {
  clock: Clock;
  selfId(): string | undefined;
  ownIncarnation(): bigint | undefined;
  send(peer: string, topic: string, bytes: Buffer): boolean;
  linkedPeers(): Iterable<string>;
  /** Whether a link to the member is up and its frames keep their rhythm (phi under 1): this node's own evidence that it is alive. */
  responsive(peer: string): boolean;
  /** What this node signs with, once it has an SVID. */
  signing(): MemberSigning | undefined;
  /** Whether every address of a member refuses a TCP connection at once ('refused'), or not ('unknown': it answered, or timed out). */
  probe(addresses: readonly string[]): Promise<ProbeVerdict>;
  /** Asks other members to reach the member (indirect-probes.ts): alive only on its own signed answer; `verdict` is called once, maybe at once. */
  askOthers(subject: string, verdict: (alive: boolean, by?: string) => void): void;
  /** A claim about this node's current incarnation: it must issue a newer record. */
  refute(claimed: bigint): void;
  misbehaved(peer: string, error: MemberClaimError): void;
  changed(): void;
  fail(error: unknown): void;
  log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
}

export class MemberSuspicion {
  private readonly timers = new Map<string, TimerHandle>();
  /** Members this node itself suspected at their current incarnation: it says `dead` when the timeout ends their suspicion. */
  private readonly raisedBySelf = new Set<string>();
  /** Members whose lost link is being asked about (askOthers), with the incarnation lost. */
  private readonly asking = new Map<string, bigint>();
  private stopped = false;
  readonly counters = { learned: 0, stale: 0, refused: {} as Partial<Record<MemberClaimRefusal, number>>, suspected: 0, declaredDead: 0, reachedIndirectly: 0 };

  private readonly timing: SuspicionTiming;

  constructor(
    private readonly table: MemberTable,
    private readonly ports: SuspicionPorts,
    timing: Partial<SuspicionTiming> = {},
  ) {
    this.timing = { ...DEFAULT_SUSPICION_TIMING, ...timing };
  }

  /**
   * This node lost its link to `peer` without a goodbye. It probes the member's addresses (a
   * refusal means the process is gone: dead at once) and asks other members whether it is alive to
   * them: if one says so, only the link failed and nothing is suspected; if not, it suspects the
   * member (held alive, or already suspect by another's claim: its own loss is one more independent
   * confirmation) and tells the mesh.
   */
  lost(peer: string, why: string): void {
    const member = this.table.get(peer);
    const self = this.ports.selfId();
    if (this.stopped || !member || self === undefined || (member.status !== 'alive' && member.status !== 'suspect')) return;
    if (member.seen.has(claimKey('suspect', self)) || this.asking.has(peer)) return;
    const incarnation = member.record.incarnation;
    this.asking.set(peer, incarnation);
    // Set once the member's own signature came back through another member: a refused connection
    // after that (a forged reset, an address it no longer listens on) only makes it suspect, to refute.
    let provenAlive = false;
    this.ports.probe(member.record.addresses).then(
      (verdict) => {
        if (verdict !== 'refused' || this.stopped) return;
        this.raise(peer, incarnation, `${why}; its address refused a connection`);
        if (provenAlive) return;
        // A refused connection with no proof of life: the process is gone.
        const now = this.table.get(peer);
        if (now && now.record.incarnation === incarnation && now.status === 'suspect') this.declareDead(now, 'its address refused a connection');
      },
      (error: unknown) => this.fail(error),
    );
    this.ports.askOthers(peer, (alive, by) => {
      if (this.asking.get(peer) !== incarnation) return;
      if (!alive) {
        this.raise(peer, incarnation, why);
        return;
      }
      provenAlive = true;
      this.asking.delete(peer);
      this.counters.reachedIndirectly++;
      this.ports.log('info', 'member not suspected: its signed answer came through another member, only the link to it failed', { member: peer, reachedBy: by, why });
      this.ports.changed();
    });
  }

  /** The suspicion of a member whose link was lost, once nothing said it lives: claimed, and timed. */
  private raise(peer: string, incarnation: bigint, why: string): void {
    this.asking.delete(peer);
    const member = this.table.get(peer);
    const self = this.ports.selfId();
    if (this.stopped || !member || self === undefined || member.record.incarnation !== incarnation) return;
    if ((member.status !== 'alive' && member.status !== 'suspect') || member.seen.has(claimKey('suspect', self))) return;
    // Linked again meanwhile (it redialed): nothing to suspect.
    if ([...this.ports.linkedPeers()].includes(peer)) return;
    this.counters.suspected++;
    this.raisedBySelf.add(peer);
    this.ports.log('warn', 'member suspected: its link was lost', { member: peer, incarnation: incarnation.toString(), why });
    this.claim(member, 'suspect');
    this.suspect(member);
  }

  /**
   * A link to `peer` came up: it is alive whatever was claimed. It gets every claim this node keeps
   * about members it holds suspect or dead (the claims about itself, to refute them; the others, so
   * that a partition healing through this link does not leave one side holding the other dead).
   */
  linkUp(peer: string): void {
    for (const member of this.table.values()) {
      if (member.status !== 'suspect' && member.status !== 'dead') continue;
      for (const claim of member.claims.values()) this.ports.send(peer, CLAIM_TOPIC, claim);
    }
    const member = this.table.get(peer);
    if (member && (member.status === 'suspect' || member.status === 'dead')) {
      this.ports.log('info', 'member linked again: held alive until it refutes the claims', { member: peer, was: member.status });
      this.setStatus(member, 'alive');
    }
  }

  /** A newer record of a member was taken: its suspicion, if any, is over (the table started it alive or left). */
  recordChanged(spiffeId: string): void {
    this.clearTimer(spiffeId);
    this.raisedBySelf.delete(spiffeId);
    this.asking.delete(spiffeId);
  }

  /** A claim a peer sent on the claim topic: read, checked against what this node holds, and verified only if it would change something. */
  receive(from: string, bytes: Buffer): void {
    const signing = this.ports.signing();
    const self = this.ports.selfId();
    if (this.stopped || !signing || self === undefined) return;
    let claim: MemberClaim;
    try {
      const head = peekMemberClaim(bytes);
      // This node's own claims come back through the mesh's cycles.
      if (head.claimer === self || !this.news(head, self)) {
        this.counters.stale++;
        return;
      }
      claim = verifyMemberClaim(bytes, { keyOf: (id) => this.table.get(id)?.record.mldsaPublicKey, signer: signing.signer, now: this.ports.clock.now() });
    } catch (error) {
      if (!(error instanceof MemberClaimError)) throw error;
      this.refuse(error, from);
      return;
    }
    if (claim.subject === self) {
      this.ports.log('info', 'refuting a claim about this node', { kind: claim.kind, claimer: claim.claimer, incarnation: claim.incarnation.toString() });
      this.ports.refute(claim.incarnation);
      return;
    }
    const member = this.table.get(claim.subject)!;
    const key = claimKey(claim.kind, claim.claimer);
    this.counters.learned++;
    member.seen.add(key);
    this.table.keepClaim(member, key, bytes);
    for (const peer of this.ports.linkedPeers()) if (peer !== from) this.ports.send(peer, CLAIM_TOPIC, bytes);
    // Its link to the member keeps its rhythm: this node's own evidence says it is alive, and the
    // claim only passes through. A link gone quiet (a frozen member) is no such evidence.
    if (this.ports.responsive(member.record.spiffeId)) return;
    this.ports.log('info', claim.kind === 'dead' ? 'member claimed dead' : 'member claimed suspect', { member: member.record.spiffeId, claimer: claim.claimer });
    this.suspect(member);
  }

  /** Whether a claim would change anything: about this node's current incarnation or later, or about a held member's current record, from a claimer not yet heard. */
  private news(claim: MemberClaim, self: string): boolean {
    if (claim.subject === self) return claim.incarnation === this.ports.ownIncarnation();
    const member = this.table.get(claim.subject);
    return (
      member !== undefined &&
      member.status !== 'left' &&
      member.record.incarnation === claim.incarnation &&
      !member.seen.has(claimKey(claim.kind, claim.claimer)) &&
      member.seen.size < MAX_SEEN_CLAIMS
    );
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) this.ports.clock.clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * The member is suspect (or stays so, one confirmation more): its timer runs to the deadline the
   * claimers so far give, from when the suspicion began; past it, it is dead now.
   */
  private suspect(member: Member): void {
    if (member.status === 'dead' || member.status === 'left') return;
    const id = member.record.spiffeId;
    if (member.status !== 'suspect') {
      this.ports.log('info', 'member suspected', { member: id });
      this.setStatus(member, 'suspect');
    }
    this.clearTimer(id);
    const deadline = member.since + this.timeoutFor(member);
    const incarnation = member.record.incarnation;
    this.timers.set(
      id,
      this.ports.clock.setTimeout(
        () => {
          this.timers.delete(id);
          const now = this.table.get(id);
          if (this.stopped || !now || now.record.incarnation !== incarnation || now.status !== 'suspect') return;
          this.declareDead(now, `no refutation within ${Math.round(this.timeoutFor(now))} ms (${claimersOf(now)} claimers)`);
        },
        Math.max(0, deadline - this.ports.clock.now()),
      ),
    );
  }

  /** Lifeguard's dynamic suspicion timeout: max with one claimer, down to min with `confirmations` more, on a log scale. */
  private timeoutFor(member: Member): number {
    const { maxMs, minMs, confirmations } = this.timing;
    const more = Math.max(0, claimersOf(member) - 1);
    const shrink = Math.log(Math.min(more, confirmations) + 1) / Math.log(confirmations + 1);
    return Math.max(minMs, maxMs - (maxMs - minMs) * shrink);
  }

  private setStatus(member: Member, status: 'alive' | 'suspect' | 'dead'): void {
    const id = member.record.spiffeId;
    member.status = status;
    member.since = this.ports.clock.now();
    if (status !== 'suspect') this.clearTimer(id);
    if (status === 'alive') this.raisedBySelf.delete(id);
    this.ports.changed();
  }

  /** Dead in this node's eyes; said to the mesh if this node raised the suspicion itself (the others reach dead on their own timeouts, this claim one confirmation more). */
  private declareDead(member: Member, why: string): void {
    const id = member.record.spiffeId;
    this.ports.log('warn', 'member declared dead', { member: id, incarnation: member.record.incarnation.toString(), why });
    this.setStatus(member, 'dead');
    if (this.raisedBySelf.delete(id)) {
      this.counters.declaredDead++;
      this.claim(member, 'dead');
    }
  }

  /** Signs a claim about a member's current record, keeps it with the member, and sends it to every linked peer. */
  private claim(member: Member, kind: MemberClaimKind): void {
    const signing = this.ports.signing();
    const self = this.ports.selfId();
    if (!signing || self === undefined) return;
    const key = claimKey(kind, self);
    if (member.seen.has(key)) return;
    const bytes = encodeMemberClaim({ kind, subject: member.record.spiffeId, incarnation: member.record.incarnation, claimer: self, issuedAt: this.ports.clock.now() }, signing);
    member.seen.add(key);
    this.table.keepClaim(member, key, bytes);
    for (const peer of this.ports.linkedPeers()) this.ports.send(peer, CLAIM_TOPIC, bytes);
  }

  private refuse(error: MemberClaimError, from: string): void {
    const count = (this.counters.refused[error.reason] ?? 0) + 1;
    this.counters.refused[error.reason] = count;
    if (count <= 10 || count % 100 === 0) this.ports.log('warn', 'refused a member claim', { from, reason: error.reason, times: count, detail: error.message });
    if (MISBEHAVIOUR.has(error.reason)) this.ports.misbehaved(from, error);
    this.ports.changed();
  }

  private clearTimer(id: string): void {
    this.ports.clock.clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  private fail(error: unknown): void {
    if (!this.stopped) this.ports.fail(error);
  }
}

/** A claim's place among a member's claims: one of each kind per claimer. */
function claimKey(kind: MemberClaimKind, claimer: string): string {
  return `${kind} ${claimer}`;
}

/** Distinct members that claimed this member suspect or dead at its current incarnation. */
function claimersOf(member: Member): number {
  const claimers = new Set<string>();
  for (const key of member.seen) claimers.add(key.slice(key.indexOf(' ') + 1));
  return claimers.size;
}
