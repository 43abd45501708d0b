/**
 * SWIM's indirect probe over the peer links: before a node suspects a member whose link it lost,
 * it asks up to INDIRECT_HELPERS of its other linked peers whether the member is alive to them. A
 * peer answers from its own link's failure detector at once (its heartbeats are the probes: a
 * Ping every 100 ms), never by a new connection. One answer "alive" means only the link failed (a
 * cut cable, a dropped route between these two): the member is not suspected. All answers
 * "silent", or none within INDIRECT_PROBE_MS, and the suspicion goes ahead.
 *
 * An answer counts only from a peer asked, for the nonce and subject it was asked: a peer cannot
 * keep a member alive in this node's eyes unasked, and one that lies keeps only this node's own
 * suspicion back (the member's other neighbours suspect it on their own).
 */
import { decodeIndirectProbe, encodeIndirectProbe, IndirectProbeError, isProbeSubject, PROBE_TOPIC, type IndirectProbeRefusal } from '../../lib/mesh/indirect-probe-message.js';
import type { Clock, TimerHandle } from '../../lib/timing/clock.js';

/** Peers asked per probe: SWIM's k. Three, since a mesh node of degree 3 to 4 has two or three other links. */
export const INDIRECT_HELPERS = 3;
/**
 * How long answers are waited for: a LAN round trip and a turn of each helper's event loop take
 * milliseconds; a busy helper's answer later than this does not hold a suspicion back for long.
 */
export const INDIRECT_PROBE_MS = 200;
/** Probes under way at most: beyond it a loss is suspected at once (no helper asked), so nothing is held back without bound. */
export const MAX_PENDING_PROBES = 256;

export interface IndirectProbePorts {
  clock: Clock;
  random(): number;
  send(peer: string, topic: string, bytes: Buffer): boolean;
  linkedPeers(): Iterable<string>;
  /** This node's own evidence that the member is alive: a link up whose frames keep their rhythm. */
  responsive(peer: string): boolean;
  changed(): void;
  log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
}

interface Pending {
  subject: string;
  awaiting: Set<string>;
  timer: TimerHandle;
  verdict(alive: boolean, by?: string): void;
}

export class IndirectProbes {
  private readonly pending = new Map<number, Pending>();
  /** Probes settled while helpers had not answered yet: an answer from one of those is late, not unasked (the newest MAX_PENDING_PROBES). */
  private readonly settled = new Map<number, { subject: string; awaiting: Set<string> }>();
  private nextNonce = 1;
  private stopped = false;
  /** Probes sent, those a helper answered alive, answers taken, answers after their probe was settled, and messages refused by reason. */
  readonly counters = { asked: 0, reached: 0, answered: 0, late: 0, refused: {} as Partial<Record<IndirectProbeRefusal | 'unasked', number>> };

  constructor(private readonly ports: IndirectProbePorts) {}

  /**
   * Asks other linked peers about `subject`; `verdict` is called once, unless the probes stop
   * first: alive (with who said so), or not (every helper said silent, none answered in time, or
   * there was none to ask or no probe could be sent: then at once).
   */
  ask(subject: string, verdict: (alive: boolean, by?: string) => void): void {
    if (this.stopped || this.pending.size >= MAX_PENDING_PROBES || !isProbeSubject(subject)) {
      verdict(false);
      return;
    }
    const helpers = this.helpersFor(subject);
    if (helpers.length === 0) {
      verdict(false);
      return;
    }
    const nonce = this.nextNonce;
    this.nextNonce = (this.nextNonce % 0xffff_ffff) + 1;
    const bytes = encodeIndirectProbe({ kind: 'request', nonce, subject });
    const awaiting = new Set<string>();
    for (const helper of helpers) if (this.ports.send(helper, PROBE_TOPIC, bytes)) awaiting.add(helper);
    if (awaiting.size === 0) {
      verdict(false);
      return;
    }
    this.counters.asked++;
    const timer = this.ports.clock.setTimeout(() => this.settle(nonce, false), INDIRECT_PROBE_MS);
    this.pending.set(nonce, { subject, awaiting, timer, verdict });
  }

  /** A message on the probe topic from a linked peer: a request answered at once, or an answer to one of this node's. */
  receive(from: string, bytes: Buffer): void {
    if (this.stopped) return;
    let message;
    try {
      message = decodeIndirectProbe(bytes);
    } catch (error) {
      if (!(error instanceof IndirectProbeError)) throw error;
      this.refuse(error.reason, from, error.message);
      return;
    }
    if (message.kind === 'request') {
      const alive = message.subject !== from && this.ports.responsive(message.subject);
      this.ports.send(from, PROBE_TOPIC, encodeIndirectProbe({ kind: 'answer', nonce: message.nonce, subject: message.subject, alive }));
      return;
    }
    const pending = this.pending.get(message.nonce);
    const settled = pending ? undefined : this.settled.get(message.nonce);
    if (settled && settled.subject === message.subject && settled.awaiting.delete(from)) {
      // Settled already (another helper said alive, or the wait ran out): a slow helper, not a liar.
      this.counters.late++;
      return;
    }
    if (!pending || pending.subject !== message.subject || !pending.awaiting.delete(from)) {
      this.refuse('unasked', from, `an answer about ${message.subject} nobody asked it for`);
      return;
    }
    this.counters.answered++;
    if (message.alive) this.settle(message.nonce, true, from);
    else if (pending.awaiting.size === 0) this.settle(message.nonce, false);
  }

  stop(): void {
    this.stopped = true;
    for (const pending of this.pending.values()) this.ports.clock.clearTimeout(pending.timer);
    this.pending.clear();
  }

  private settle(nonce: number, alive: boolean, by?: string): void {
    const pending = this.pending.get(nonce);
    if (!pending) return;
    this.pending.delete(nonce);
    this.ports.clock.clearTimeout(pending.timer);
    if (pending.awaiting.size > 0) {
      this.settled.set(nonce, { subject: pending.subject, awaiting: pending.awaiting });
      if (this.settled.size > MAX_PENDING_PROBES) this.settled.delete(this.settled.keys().next().value!);
    }
    if (alive) this.counters.reached++;
    this.ports.changed();
    pending.verdict(alive, by);
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

  private refuse(reason: IndirectProbeRefusal | 'unasked', from: string, detail: string): void {
    const count = (this.counters.refused[reason] ?? 0) + 1;
    this.counters.refused[reason] = count;
    if (count <= 10 || count % 100 === 0) this.ports.log('warn', 'refused an indirect probe message', { from, reason, times: count, detail });
    this.ports.changed();
  }
}
