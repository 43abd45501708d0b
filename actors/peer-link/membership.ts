/**
 * Membership by gossip over the peer links: a node linked to one member learns every other. Each
 * node signs its own member record (lib/mesh/member-record.ts) and issues a new one when its SVID
 * rotates, when it must refute a record of itself newer than its own, and when it leaves. Records
 * travel on the links' reliable streams under a reserved topic: when a link comes up each side
 * sends the other every record it holds, and a record that is news to a node is relayed to every
 * other linked peer, so news floods the mesh once and stale copies stop at the first node that
 * had them. Every node verifies every record itself, whoever relayed it; one record at a time, from
 * a bounded queue, so a peer flooding records costs this node one verification after another and
 * a bounded backlog, never unbounded work.
 *
 * It lives in the peer-link actor, beside the links it gossips over: the records are signed with
 * the node's ML-DSA key and carry its SVID chain, which this actor alone holds, and the links' own
 * state (who is linked, when a link comes up) drives it without a bus hop.
 *
 * This is what a member is; which members are alive (failure detection: suspicion and refutation by
 * a newer incarnation) is built on it.
 */
import { MAX_MEMBER_RECORD_BYTES, MemberRecordError, type MemberRecord, type MemberRecordRefusal, type MemberSigning, type VerifiedMemberRecord } from '../../lib/mesh/member-record.js';
import type { MembershipState } from '../../lib/mesh/membership-state.js';
import type { Clock, TimerHandle } from '../../lib/timing/clock.js';
import type { MemberClaimError } from '../../lib/mesh/member-claim.js';
import { MemberSuspicion, type ProbeVerdict, type SuspicionTiming } from './member-suspicion.js';
import { IndirectProbes } from './indirect-probes.js';
import { MemberTable, newerRecord } from './member-table.js';

/** The reserved topic member records travel on. Topics starting with `$` are the links' own: no actor may send or receive one. */
export const MEMBER_TOPIC = '$member';
export const CONTROL_TOPIC_PREFIX = '$';
/**
 * Records waiting to be verified, in all and in bytes: a link-up brings every record the peer holds
 * at once (a 1,000-member table is about 5 MiB). Beyond either bound a record is dropped and
 * counted; the peer's next link-up or the next news brings it again.
 */
export const MAX_PENDING_RECORDS = 4_096;
export const MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** What one peer may have waiting: a quarter of the queue, so one flooding peer cannot turn away the news the others bring. */
export const MAX_PENDING_BYTES_PER_PEER = MAX_PENDING_BYTES / 4;
/**
 * Refusals that only a sender that forged or garbled a record can cause (honest relays forward
 * only records they verified themselves): its connection is closed, so each such record costs it
 * a new TLS and post-quantum handshake. Refusals that honest nodes can disagree on (a policy, a
 * clock, an expiry, a full table) are only counted.
 */
const MISBEHAVIOUR: ReadonlySet<MemberRefusal> = new Set(['oversized', 'malformed', 'binding', 'signature']);
/** Incarnations are unsigned 64-bit. */
const MAX_INCARNATION = 2n ** 64n - 1n;
/** How often records that stopped verifying are dropped: a record lives as long as its SVID, hours at the least. */
export const EXPIRY_SWEEP_MS = 10_000;
/**
 * How often a node sends every record it holds to one linked peer chosen at random (push, as
 * memberlist's push-pull every 30 s): news that a flood missed (a relay whose link was down at that
 * moment, a record that did not fit a full window) reaches everyone within a few rounds anyway.
 * Jittered by up to a half, so the nodes' rounds do not fall together.
 */
export const ANTI_ENTROPY_MS = 30_000;

export type MemberRefusal = MemberRecordRefusal | 'full' | 'overflow';

export interface MembershipPorts {
  clock: Clock;
  /** Uniform in [0, 1): which peer a round of anti-entropy goes to, and its jitter. */
  random(): number;
  /** Queues a record or a claim for a linked peer on its reserved topic; false when no link leads there or its window is full. */
  send(peer: string, topic: string, bytes: Buffer): boolean;
  /** Whether every address of a member refuses a TCP connection at once (member-suspicion.ts). */
  probe(addresses: readonly string[]): Promise<ProbeVerdict>;
  /** Peers with a link up now. */
  linkedPeers(): Iterable<string>;
  /** Whether a link to the peer is up and its frames keep their rhythm (member-suspicion.ts). */
  responsive(peer: string): boolean;
  /** Checks a record against the node's current bundles and policy (verifyMemberRecord). */
  verify(bytes: Uint8Array): Promise<VerifiedMemberRecord>;
  /** What the node signs its record with now, and where it can be reached; undefined before the first SVID. */
  signing(): { spiffeId: string; addresses: string[]; kemPublicKey: Uint8Array; signing: MemberSigning } | undefined;
  sign(record: MemberRecord, signing: MemberSigning): Buffer;
  /** Something status shows changed. */
  changed(): void;
  /** A member's record was verified and taken, the member alive: routes parked for it apply now (mesh-routing.ts). */
  learned(spiffeId: string): void;
  /** A linked peer sent a record or claim only a forger sends: its connection is closed. */
  misbehaved(peer: string, error: MemberRecordError | MemberClaimError): void;
  /** A fault of this code (never a peer's): the actor fails, as for any uncaught error. */
  fail(error: unknown): void;
  log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
}

export class Membership {
  private readonly table: MemberTable;
  private own: { bytes: Buffer; record: MemberRecord } | undefined;
  private readonly pending: { from: string; bytes: Buffer }[] = [];
  private pendingBytes = 0;
  private readonly pendingBytesOf = new Map<string, number>();
  private verifying = false;
  /** What waits for the records received so far to be verified (lost). */
  private afterVerifying: (() => void)[] = [];
  private sweepTimer: TimerHandle | undefined;
  private antiEntropyTimer: TimerHandle | undefined;
  private stopped = false;
  private readonly counters = { learned: 0, stale: 0, refused: {} as Partial<Record<MemberRefusal, number>> };
  private readonly suspicion: MemberSuspicion;
  private readonly indirect: IndirectProbes;

  constructor(
    private readonly ports: MembershipPorts,
    suspicionTiming: Partial<SuspicionTiming> = {},
  ) {
    this.table = new MemberTable(() => this.own?.record.spiffeId);
    this.indirect = new IndirectProbes({
      clock: ports.clock,
      random: ports.random,
      selfId: () => this.own?.record.spiffeId,
      send: ports.send,
      linkedPeers: ports.linkedPeers,
      responsive: ports.responsive,
      sign: (message) => {
        const signing = ports.signing()?.signing;
        return signing ? Buffer.from(signing.signer.sign(message, signing.secretKey)) : undefined;
      },
      verify: (member, message, signature) => {
        const key = this.table.get(member)?.record.mldsaPublicKey;
        const signer = ports.signing()?.signing.signer;
        return key !== undefined && signer !== undefined && signer.verify(message, signature, key);
      },
      changed: ports.changed,
      log: ports.log,
    });
    this.suspicion = new MemberSuspicion(
      this.table,
      {
        clock: ports.clock,
        selfId: () => this.own?.record.spiffeId,
        ownIncarnation: () => (this.own?.record.state === 'alive' ? this.own.record.incarnation : undefined),
        send: ports.send,
        linkedPeers: ports.linkedPeers,
        responsive: ports.responsive,
        signing: () => ports.signing()?.signing,
        probe: ports.probe,
        askOthers: (subject, verdict) => this.indirect.ask(subject, verdict),
        refute: (claimed) => this.refute(claimed),
        misbehaved: ports.misbehaved,
        changed: ports.changed,
        fail: (error) => this.fail(error),
        log: ports.log,
      },
      suspicionTiming,
    );
  }

  /**
   * This node lost its link to a peer without a goodbye: the peer is suspected (member-suspicion.ts),
   * once every record already received is verified. What the peer said before the close counts
   * first: a node that left gracefully sends its `left` record and may close before its goodbye
   * gets out, and its leave is then no failure.
   */
  lost(peer: string, why: string): void {
    const judge = () => {
      // Linked again meanwhile (it redialed, or the lost connection was one of two): nothing to suspect.
      if (![...this.ports.linkedPeers()].includes(peer)) this.suspicion.lost(peer, why);
    };
    this.afterRecordsReceived(judge);
  }

  /**
   * A claim a peer sent on the claim topic: judged after the records received before it, so a claim
   * that follows its subject's or its claimer's newer record is judged against that record.
   */
  receiveClaim(from: string, bytes: Buffer): void {
    this.afterRecordsReceived(() => this.suspicion.receive(from, bytes));
  }

  /** A message of an indirect probe (indirect-probes.ts): answered, or taken, at once (no record it depends on). */
  receiveProbe(from: string, bytes: Buffer): void {
    this.indirect.receive(from, bytes);
  }

  /** Runs `next` once every record received so far is verified: at once when none waits. */
  private afterRecordsReceived(next: () => void): void {
    if (!this.verifying) next();
    else this.afterVerifying.push(next);
  }

  /** Signs this node's record anew (its first SVID, a rotation, a new address) and tells every linked peer. */
  announce(): void {
    if (this.stopped) return;
    this.issue('alive', this.nextIncarnation());
    this.scheduleSweep();
    this.scheduleAntiEntropy();
  }

  /** A member's verified record while it is held alive (suspect included: it may yet refute): what end-to-end sealing and routing read. */
  aliveMember(spiffeId: string): VerifiedMemberRecord | undefined {
    const member = this.table.get(spiffeId);
    return member && (member.status === 'alive' || member.status === 'suspect') ? member.record : undefined;
  }

  /** This node's current record: the signed bytes as they go out. */
  get ownRecord(): Buffer | undefined {
    return this.own?.bytes;
  }

  /** A graceful leave: this node's record, `left`, to every linked peer (what it can still write before it closes them). */
  leave(): void {
    if (!this.own || this.own.record.state === 'left') return;
    this.issue('left', this.own.record.incarnation);
  }

  /**
   * A link came up: the peer gets every record this node holds, this node's own first, and the
   * peer's own record as this node knows it (a record of the peer newer than its own, left by an
   * earlier run, is one the peer must outrank).
   */
  linkUp(peer: string): void {
    this.sendEveryRecord(peer);
    this.suspicion.linkUp(peer);
  }

  /** Every record this node holds, its own first, to one peer: at link-up, and each round of anti-entropy. */
  private sendEveryRecord(peer: string): void {
    if (this.own) this.ports.send(peer, MEMBER_TOPIC, this.own.bytes);
    for (const member of this.table.values()) this.ports.send(peer, MEMBER_TOPIC, member.bytes);
  }

  /** A record a peer sent on the member topic: queued for verification, within the queue's bounds. */
  receive(from: string, bytes: Buffer): void {
    if (this.stopped) return;
    if (bytes.length > MAX_MEMBER_RECORD_BYTES) {
      this.refuse(new MemberRecordError('oversized', `a member record of ${bytes.length} bytes is over the ${MAX_MEMBER_RECORD_BYTES}-byte cap`), from);
      return;
    }
    const ofPeer = this.pendingBytesOf.get(from) ?? 0;
    if (this.pending.length >= MAX_PENDING_RECORDS || this.pendingBytes + bytes.length > MAX_PENDING_BYTES || ofPeer + bytes.length > MAX_PENDING_BYTES_PER_PEER) {
      this.refuse('overflow', from);
      return;
    }
    this.pending.push({ from, bytes });
    this.pendingBytes += bytes.length;
    this.pendingBytesOf.set(from, ofPeer + bytes.length);
    if (!this.verifying) this.verifyPending().catch((error: unknown) => this.fail(error));
  }

  stop(): void {
    this.stopped = true;
    this.suspicion.stop();
    this.indirect.stop();
    this.ports.clock.clearTimeout(this.antiEntropyTimer);
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.pendingBytesOf.clear();
    this.ports.clock.clearTimeout(this.sweepTimer);
  }

  state(linked: ReadonlySet<string>): MembershipState {
    const members = [...this.table.values()].map(({ record, learnedAt, status, since }) => ({
      spiffeId: record.spiffeId,
      state: status,
      since,
      incarnation: record.incarnation.toString(),
      addresses: record.addresses,
      issuedAt: record.issuedAt,
      learnedAt,
      linked: linked.has(record.spiffeId),
    }));
    return {
      ...(this.own ? { incarnation: this.own.record.incarnation.toString() } : {}),
      members,
      learned: this.counters.learned,
      stale: this.counters.stale,
      refused: { ...this.counters.refused },
      claims: { learned: this.suspicion.counters.learned, stale: this.suspicion.counters.stale, refused: { ...this.suspicion.counters.refused } },
      suspected: this.suspicion.counters.suspected,
      declaredDead: this.suspicion.counters.declaredDead,
      indirectProbes: { ...this.indirect.counters, refused: { ...this.indirect.counters.refused }, notSuspected: this.suspicion.counters.reachedIndirectly },
    };
  }

  /**
   * A new incarnation: the wall clock's milliseconds at the first record, so a restarted node
   * outranks its records of earlier runs without keeping a counter on disk, and one more than the
   * last each time after (never less than the clock, so a node that was down for a while still
   * outranks every record of itself it issued before).
   */
  private nextIncarnation(): bigint {
    const now = BigInt(this.ports.clock.now());
    if (!this.own) return now;
    const next = this.own.record.incarnation + 1n;
    return next > now ? next : now;
  }

  private issue(state: MemberRecord['state'], incarnation: bigint): void {
    const current = this.ports.signing();
    if (!current) return;
    const record: MemberRecord = { spiffeId: current.spiffeId, addresses: current.addresses, incarnation, state, issuedAt: this.ports.clock.now(), kemPublicKey: current.kemPublicKey };
    let bytes: Buffer;
    try {
      bytes = this.ports.sign(record, current.signing);
    } catch (error) {
      // An SVID a record cannot carry (a chain longer than a record holds): the links serve on,
      // and this node goes unannounced (or keeps its last record) until an SVID it can sign with.
      this.ports.log('warn', 'this node cannot sign a member record with its SVID; members will not learn of it', { error: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.own = { bytes, record };
    for (const peer of this.ports.linkedPeers()) this.ports.send(peer, MEMBER_TOPIC, bytes);
    this.ports.changed();
  }

  private async verifyPending(): Promise<void> {
    this.verifying = true;
    try {
      for (let next = this.pending.shift(); next && !this.stopped; next = this.pending.shift()) {
        this.pendingBytes -= next.bytes.length;
        const ofPeer = (this.pendingBytesOf.get(next.from) ?? 0) - next.bytes.length;
        if (ofPeer > 0) this.pendingBytesOf.set(next.from, ofPeer);
        else this.pendingBytesOf.delete(next.from);
        await this.consider(next.from, next.bytes);
      }
    } finally {
      this.verifying = false;
    }
    const waiting = this.afterVerifying;
    this.afterVerifying = [];
    if (!this.stopped) for (const run of waiting) run();
  }

  /** A fault of this code: the actor fails, unless it is stopping anyway. */
  private fail(error: unknown): void {
    if (!this.stopped) this.ports.fail(error);
  }

  private async consider(from: string, bytes: Buffer): Promise<void> {
    let verified: VerifiedMemberRecord;
    try {
      const head = this.table.peek(bytes);
      if (head.spiffeId === this.own?.record.spiffeId) {
        await this.considerOwn(head, bytes);
        return;
      }
      const news = this.table.newsOf(head);
      if (news !== 'news') {
        this.notTaken(news, from);
        return;
      }
      verified = await this.ports.verify(bytes);
    } catch (error) {
      if (!(error instanceof MemberRecordError)) throw error;
      this.refuse(error, from);
      return;
    }
    if (this.stopped) return;
    const taken = this.table.take(verified, bytes, this.ports.clock.now());
    if (taken !== 'news') {
      this.notTaken(taken, from);
      return;
    }
    this.counters.learned++;
    this.ports.log('info', verified.state === 'left' ? 'member left' : 'member learned', { member: verified.spiffeId, incarnation: verified.incarnation.toString(), from });
    // To every other linked peer, the member itself included: a record of it newer than its own is its to outrank.
    this.suspicion.recordChanged(verified.spiffeId);
    for (const peer of this.ports.linkedPeers()) if (peer !== from) this.ports.send(peer, MEMBER_TOPIC, bytes);
    if (verified.state === 'alive') this.ports.learned(verified.spiffeId);
    this.ports.changed();
  }

  private notTaken(news: 'stale' | 'full', from: string): void {
    if (news === 'full') this.refuse('full', from);
    else this.counters.stale++;
  }

  /**
   * A record of this node that a peer holds: one newer than this node's own (issued by an earlier
   * run whose clock was ahead, or a leave this run never said) would make the mesh believe it, so
   * this node outranks it with a new record of its own, once it has checked that the record is
   * genuine (a forged head costs a verification, never a new incarnation).
   */
  private async considerOwn(head: MemberRecord, bytes: Buffer): Promise<void> {
    if (!this.own || !newerRecord(head, this.own.record)) {
      this.counters.stale++;
      return;
    }
    await this.ports.verify(bytes);
    if (this.stopped || this.own.record.state === 'left' || !newerRecord(head, this.own.record)) return;
    this.ports.log('info', 'a record of this node newer than its own is in the mesh: outranking it', { incarnation: head.incarnation.toString(), state: head.state });
    this.refute(head.incarnation);
  }

  /** A new record of this node above `claimed`: what the mesh holds of an incarnation this node has moved on from loses to it. */
  private refute(claimed: bigint): void {
    if (!this.own || this.own.record.state === 'left') return;
    if (claimed >= MAX_INCARNATION) {
      this.ports.log('warn', 'a record or claim of this node holds the highest incarnation there is: it cannot be outranked until it expires', {});
      return;
    }
    const next = claimed + 1n;
    this.issue('alive', next > this.own.record.incarnation ? next : this.own.record.incarnation + 1n);
  }

  private refuse(refusal: MemberRecordError | 'full' | 'overflow', from: string): void {
    const reason = typeof refusal === 'string' ? refusal : refusal.reason;
    const count = (this.counters.refused[reason] ?? 0) + 1;
    this.counters.refused[reason] = count;
    // Logged the first few times and then every hundredth: a flood is counted whole, its log kept short.
    if (count <= 10 || count % 100 === 0) {
      this.ports.log('warn', 'refused a member record', { from, reason, times: count, ...(typeof refusal === 'string' ? {} : { detail: refusal.message }) });
    }
    if (typeof refusal !== 'string' && MISBEHAVIOUR.has(reason)) this.ports.misbehaved(from, refusal);
    this.ports.changed();
  }

  /** Every record this node holds, its own first, to one linked peer chosen at random. */
  private scheduleAntiEntropy(): void {
    if (this.antiEntropyTimer !== undefined || this.stopped) return;
    this.antiEntropyTimer = this.ports.clock.setTimeout(
      () => {
        this.antiEntropyTimer = undefined;
        const peers = [...this.ports.linkedPeers()];
        if (peers.length > 0) this.sendEveryRecord(peers[Math.floor(this.ports.random() * peers.length)]!);
        this.scheduleAntiEntropy();
      },
      ANTI_ENTROPY_MS * (0.5 + this.ports.random()),
    );
  }

  private scheduleSweep(): void {
    if (this.sweepTimer !== undefined || this.stopped) return;
    this.sweepTimer = this.ports.clock.setTimeout(() => {
      this.sweepTimer = undefined;
      const expired = this.table.expire(this.ports.clock.now());
      if (expired.length > 0) {
        this.ports.log('info', 'member records expired', { members: expired });
        this.ports.changed();
      }
      this.scheduleSweep();
    }, EXPIRY_SWEEP_MS);
  }
}
