/**
 * SWIM's indirect probe over the peer links (lib/mesh/indirect-probe-message.ts), as a requester, a
 * helper and a subject:
 * - requester: before it suspects a member whose link it lost, a node asks up to INDIRECT_HELPERS of
 *   its other linked peers to reach it. An answer carrying the member's own signature over the
 *   requester's fresh nonce proves it alive now: only the link failed (a cut cable, a dropped route),
 *   and the member is not suspected. No proof from any helper within INDIRECT_PROBE_MS, and the
 *   suspicion goes ahead. A helper can withhold a proof, never make one: one lying member cannot
 *   keep a dead one alive in anyone's eyes.
 * - helper: a request about a member it holds a link to is passed on to it as a ping; its ack goes
 *   back as the answer; no link, or no ack within HELPER_WAIT_MS, and the answer carries no proof.
 * - subject: a ping about itself is acknowledged with its signature.
 * Each role has a budget per peer a second (a signature costs about a millisecond): beyond it, a
 * request or ping is dropped and counted. Everything a peer sends is decoded whole first; answers
 * count only from a peer asked, for its nonce and subject.
 */
import { randomBytes } from 'node:crypto';
import { decodeIndirectProbe, encodeIndirectProbe, IndirectProbeError, isProbeSubject, probeAckSigned, PROBE_NONCE_BYTES, PROBE_TOPIC, type IndirectProbeMessage, type IndirectProbeRefusal } from '../../lib/mesh/indirect-probe-message.js';
import type { Clock, TimerHandle } from '../../lib/timing/clock.js';
import { SecondBudget } from '../../lib/timing/second-budget.js';

/** Peers asked per probe: SWIM's k. Three, since a mesh node of degree 3 to 4 has two or three other links. */
export const INDIRECT_HELPERS = 3;
/**
 * How long a requester waits for a proof: a request, a ping, a signature and their way back take a
 * few milliseconds on a LAN; a busy helper's proof later than this does not hold a suspicion back for long.
 */
export const INDIRECT_PROBE_MS = 200;
/** How long a helper waits for the subject's ack: well inside the requester's wait, so its answer still counts. */
export const HELPER_WAIT_MS = 150;
/** Probes under way at most, as requester and as helper: beyond it a loss is suspected at once, and a request answered without proof. */
export const MAX_PENDING_PROBES = 256;
/** Requests a helper takes from one peer, and pings a subject signs for one peer, a second. */
export const PROBES_PER_PEER_PER_SECOND = 10;
/** Budgets kept at most (two per peer): the links one node accepts and dials, and some to spare. */
const MAX_BUDGETS = 8_192;

export type ProbeRefusal = IndirectProbeRefusal | 'unasked' | 'forged';

export interface IndirectProbePorts {
  clock: Clock;
  random(): number;
  /** This node's SPIFFE ID; undefined before its first SVID. */
  selfId(): string | undefined;
  send(peer: string, topic: string, bytes: Buffer): boolean;
  linkedPeers(): Iterable<string>;
  /** Whether this node's own link to the peer keeps its rhythm (phi under 1): a helper whose link has gone quiet answers without proof at once. */
  responsive(peer: string): boolean;
  /** This node's ML-DSA signature of `message`; undefined before it has a key. */
  sign(message: Buffer): Buffer | undefined;
  /** Whether `signature` is the member's over `message`, by the key its verified record binds (false for a member not held). */
  verify(member: string, message: Buffer, signature: Buffer): boolean;
  changed(): void;
  log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
  /** The requester's nonces (default: node:crypto; a simulation gives a seeded source). */
  nonce?(): Buffer;
}

interface Asking {
  subject: string;
  awaiting: Set<string>;
  timer: TimerHandle;
  verdict(alive: boolean, by?: string): void;
}

interface Helping {
  requester: string;
  subject: string;
  timer: TimerHandle;
}

export class IndirectProbes {
  private readonly asking = new Map<string, Asking>();
  /** Probes settled while helpers had not answered yet: an answer from one of those is late, not unasked (the newest MAX_PENDING_PROBES). */
  private readonly settled = new Map<string, { subject: string; awaiting: Set<string> }>();
  private readonly helping = new Map<string, Helping>();
  private readonly budgets = new Map<string, SecondBudget>();
  private stopped = false;
  /**
   * As requester: probes sent, proofs taken (reached), answers taken, late answers. As helper:
   * requests passed on to their subject. As subject: pings signed. Requests and pings over budget,
   * and messages refused by reason.
   */
  readonly counters = { asked: 0, reached: 0, answered: 0, late: 0, relayed: 0, signed: 0, throttled: 0, refused: {} as Partial<Record<ProbeRefusal, number>> };

  constructor(private readonly ports: IndirectProbePorts) {}

  /**
   * Asks other linked peers to reach `subject`; `verdict` is called once, unless the probes stop
   * first: alive (with the helper whose answer carried the proof), or not (no proof in time, or
   * nobody to ask: then at once).
   */
  ask(subject: string, verdict: (alive: boolean, by?: string) => void): void {
    if (this.stopped || this.asking.size >= MAX_PENDING_PROBES || !isProbeSubject(subject)) {
      verdict(false);
      return;
    }
    const helpers = this.helpersFor(subject);
    const nonce = this.ports.nonce?.() ?? randomBytes(PROBE_NONCE_BYTES);
    if (helpers.length === 0 || nonce.length !== PROBE_NONCE_BYTES) {
      verdict(false);
      return;
    }
    const bytes = encodeIndirectProbe({ kind: 'request', nonce, subject });
    const key = nonce.toString('hex');
    // Kept before anything is sent: a network that delivers at once (a simulation) brings answers before send returns.
    const awaiting = new Set<string>(helpers);
    const timer = this.ports.clock.setTimeout(() => this.settle(key, false), INDIRECT_PROBE_MS);
    this.asking.set(key, { subject, awaiting, timer, verdict });
    let sent = 0;
    for (const helper of helpers) {
      if (this.ports.send(helper, PROBE_TOPIC, bytes)) sent++;
      else awaiting.delete(helper);
    }
    if (sent > 0) this.counters.asked++;
    if (sent > 0 || !this.asking.has(key)) return;
    // No request got out: decided at once, as if there had been nobody to ask.
    this.asking.delete(key);
    this.ports.clock.clearTimeout(timer);
    verdict(false);
  }

  /** A message on the probe topic from a linked peer. */
  receive(from: string, bytes: Buffer): void {
    if (this.stopped) return;
    let message: IndirectProbeMessage;
    try {
      message = decodeIndirectProbe(bytes);
    } catch (error) {
      if (!(error instanceof IndirectProbeError)) throw error;
      this.refuse(error.reason, from, error.message);
      return;
    }
    switch (message.kind) {
      case 'request':
        return this.help(from, message.nonce, message.subject);
      case 'ping':
        return this.acknowledge(from, message.nonce, message.requester, message.subject);
      case 'ack':
        return this.relay(from, message);
      case 'answer':
        return this.take(from, message.nonce, message.subject, message.signature);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const pending of this.asking.values()) this.ports.clock.clearTimeout(pending.timer);
    for (const pending of this.helping.values()) this.ports.clock.clearTimeout(pending.timer);
    this.asking.clear();
    this.helping.clear();
  }

  /** As helper: pass the request on to the subject, or answer at once without proof. */
  private help(requester: string, nonce: Buffer, subject: string): void {
    if (!this.within('request', requester)) return;
    const key = `${requester} ${nonce.toString('hex')}`;
    // A link of its own that has gone quiet too (a frozen member: all its neighbours lose it at
    // once) would only make the requester wait HELPER_WAIT_MS for an ack that will not come.
    const reachable = subject !== requester && subject !== this.ports.selfId() && [...this.ports.linkedPeers()].includes(subject) && this.ports.responsive(subject);
    if (!reachable || this.helping.has(key) || this.helping.size >= MAX_PENDING_PROBES) {
      this.answer(requester, nonce, subject, undefined);
      return;
    }
    // Kept before the ping goes: the subject's ack may come back before send returns.
    const timer = this.ports.clock.setTimeout(() => {
      this.helping.delete(key);
      this.answer(requester, nonce, subject, undefined);
    }, HELPER_WAIT_MS);
    this.helping.set(key, { requester, subject, timer });
    if (this.ports.send(subject, PROBE_TOPIC, encodeIndirectProbe({ kind: 'ping', nonce, requester, subject }))) {
      this.counters.relayed++;
      return;
    }
    if (!this.helping.delete(key)) return;
    this.ports.clock.clearTimeout(timer);
    this.answer(requester, nonce, subject, undefined);
  }

  /** As subject: sign the ping's nonce and IDs, and send the ack back to the helper. */
  private acknowledge(helper: string, nonce: Buffer, requester: string, subject: string): void {
    if (subject !== this.ports.selfId()) {
      this.refuse('unasked', helper, `a ping for ${subject}, not this node`);
      return;
    }
    if (!this.within('ping', helper)) return;
    const signature = this.ports.sign(probeAckSigned(nonce, requester, subject));
    if (!signature) return;
    this.counters.signed++;
    this.ports.send(helper, PROBE_TOPIC, encodeIndirectProbe({ kind: 'ack', nonce, requester, subject, signature }));
  }

  /** As helper: the subject's ack goes back to the requester as the answer (the requester checks it). */
  private relay(subject: string, ack: Extract<IndirectProbeMessage, { kind: 'ack' }>): void {
    const key = `${ack.requester} ${ack.nonce.toString('hex')}`;
    const pending = this.helping.get(key);
    if (!pending || pending.subject !== subject || ack.subject !== subject) {
      this.refuse('unasked', subject, `an ack about ${ack.subject} no request asked it for`);
      return;
    }
    this.helping.delete(key);
    this.ports.clock.clearTimeout(pending.timer);
    this.answer(pending.requester, ack.nonce, subject, ack.signature);
  }

  /** As requester: an answer from a helper asked; its proof, checked, settles the probe alive. */
  private take(helper: string, nonce: Buffer, subject: string, signature: Buffer | undefined): void {
    const key = nonce.toString('hex');
    const pending = this.asking.get(key);
    const settled = pending ? undefined : this.settled.get(key);
    if (settled && settled.subject === subject && settled.awaiting.delete(helper)) {
      // Settled already (a proof came, or the wait ran out): a slow helper, not a liar.
      this.counters.late++;
      return;
    }
    if (!pending || pending.subject !== subject || !pending.awaiting.delete(helper)) {
      this.refuse('unasked', helper, `an answer about ${subject} nobody asked it for`);
      return;
    }
    this.counters.answered++;
    const self = this.ports.selfId();
    if (signature !== undefined) {
      if (self !== undefined && this.ports.verify(subject, probeAckSigned(nonce, self, subject), signature)) {
        this.settle(key, true, helper);
        return;
      }
      // Not the member's signature over this node's nonce: a made-up proof, or one for another probe.
      this.refuse('forged', helper, `an answer about ${subject} whose signature does not verify`);
    }
    if (pending.awaiting.size === 0) this.settle(key, false);
  }

  private answer(requester: string, nonce: Buffer, subject: string, signature: Buffer | undefined): void {
    this.ports.send(requester, PROBE_TOPIC, encodeIndirectProbe({ kind: 'answer', nonce, subject, signature }));
  }

  private settle(key: string, alive: boolean, by?: string): void {
    const pending = this.asking.get(key);
    if (!pending) return;
    this.asking.delete(key);
    this.ports.clock.clearTimeout(pending.timer);
    if (pending.awaiting.size > 0) {
      this.settled.set(key, { subject: pending.subject, awaiting: pending.awaiting });
      if (this.settled.size > MAX_PENDING_PROBES) this.settled.delete(this.settled.keys().next().value!);
    }
    if (alive) this.counters.reached++;
    this.ports.changed();
    pending.verdict(alive, by);
  }

  /**
   * Whether the peer is within its budget for this role this second (requests it makes of this
   * node as helper, pings it makes of it as subject: two budgets, so asking about others does not
   * use up the signatures a third node's probe needs); counted and dropped when not.
   */
  private within(role: 'request' | 'ping', peer: string): boolean {
    const key = `${role} ${peer}`;
    let budget = this.budgets.get(key);
    if (!budget) {
      // Budgets of peers no longer linked go first: the map holds the linked peers' and a few more.
      if (this.budgets.size >= MAX_BUDGETS) {
        const linked = new Set(this.ports.linkedPeers());
        for (const other of this.budgets.keys()) if (!linked.has(other.slice(other.indexOf(' ') + 1))) this.budgets.delete(other);
      }
      budget = new SecondBudget(PROBES_PER_PEER_PER_SECOND);
      // Full of linked peers' budgets still: refused rather than let through unbudgeted.
      if (this.budgets.size < MAX_BUDGETS) this.budgets.set(key, budget);
      else budget = undefined;
    }
    if (budget?.take(this.ports.clock.monotonicNow())) return true;
    this.counters.throttled++;
    this.ports.changed();
    return false;
  }

  /** Up to INDIRECT_HELPERS linked peers other than the subject, chosen at random (a partial shuffle). */
  private helpersFor(subject: string): string[] {
    const peers = [...this.ports.linkedPeers()].filter((peer) => peer !== subject);
    const count = Math.min(INDIRECT_HELPERS, peers.length);
    for (let index = 0; index < count; index++) {
      const other = index + Math.floor(this.ports.random() * (peers.length - index));
      [peers[index], peers[other]] = [peers[other]!, peers[index]!];
    }
    return peers.slice(0, count);
  }

  private refuse(reason: ProbeRefusal, from: string, detail: string): void {
    const count = (this.counters.refused[reason] ?? 0) + 1;
    this.counters.refused[reason] = count;
    if (count <= 10 || count % 100 === 0) this.ports.log('warn', 'refused an indirect probe message', { from, reason, times: count, detail });
    this.ports.changed();
  }
}
