/**
 * One actor's bounded mailbox, kept by the host so it outlives the actor's thread.
 *
 * A message stays here until the actor acknowledges it: `take` moves messages to the
 * in-flight list, `ack` releases them, and after a crash `requeueInflight` puts the in-flight
 * ones back at the head, so they are redelivered (at-least-once) in their original order.
 * Capacity counts both lists, so an actor that is restarting cannot grow its backlog without
 * bound. Pure data structure: no timers, no I/O.
 */
import type { Envelope } from '../contracts/envelope.js';
import type { OverflowPolicy } from './topic-registry.js';
import type { Clock } from '../contracts/clock.js';

/** Acknowledged messages' time since publication goes here, measured on the clock that stamped their `sentAt`. */
export interface LatencyObserver {
  clock: Pick<Clock, 'now'>;
  observe(latencyMs: number): void;
}

export interface MailboxCounters {
  accepted: number;
  delivered: number;
  acked: number;
  redelivered: number;
  dropped: number;
  rejected: number;
  blocked: number;
  /** Dropped on arrival because their topic is shed at this mailbox. */
  shed: number;
  /** Taken out by a remediation (quarantined or drained), kept as dead letters. */
  removed: number;
}

export type OfferResult = 'accepted' | 'dropped-oldest' | 'full' | 'shed';

export interface HighWater {
  depth: number;
  crossed(depth: number): void;
}

/** Compact the pending array once this many slots at its head are spent (amortised O(1) shift). */
const COMPACT_AFTER = 1024;

export class Mailbox {
  private pending: Envelope[] = [];
  private head = 0;
  private inflight: Envelope[] = [];
  private inflightHead = 0;
  private nextSeq = 1;
  readonly counters: MailboxCounters = {
    accepted: 0,
    delivered: 0,
    acked: 0,
    redelivered: 0,
    dropped: 0,
    rejected: 0,
    blocked: 0,
    shed: 0,
    removed: 0,
  };
  /** Topics refused at this mailbox (a remediation of a flood), until the time given (ms since epoch). */
  private readonly shedTopics = new Map<string, number>();
  /** Above the high-water mark since it was last crossed; re-armed once the depth falls to half the mark. */
  private aboveHighWater = false;

  constructor(
    readonly actorId: string,
    readonly capacity: number,
    /** Told each acknowledged message's time since publication (ms); for metrics. */
    private readonly latency?: LatencyObserver,
    /**
     * Told the moment the depth reaches `depth` from below (a flood building), once until it has
     * fallen to half of it again: what the loop would otherwise learn only at its next sample.
     */
    private readonly highWater?: HighWater,
  ) {}

  get pendingCount(): number {
    return this.pending.length - this.head;
  }

  get inflightCount(): number {
    return this.inflight.length - this.inflightHead;
  }

  get depth(): number {
    return this.pendingCount + this.inflightCount;
  }

  get hasSpace(): boolean {
    return this.depth < this.capacity;
  }

  /**
   * Adds a message, applying the topic's overflow policy when full. `full` means nothing was
   * added: the caller blocks (policy `block`) or rejects (policy `reject`).
   */
  offer(topic: string, payload: unknown, from: string, sentAt: number, requestId: string | undefined, policy: OverflowPolicy): OfferResult {
    if (this.shedTopics.size > 0 && this.isShed(topic, sentAt)) {
      this.counters.shed++;
      return 'shed';
    }
    let result: OfferResult = 'accepted';
    if (!this.hasSpace) {
      if (policy !== 'drop-oldest' || this.pendingCount === 0) {
        if (policy === 'reject') this.counters.rejected++;
        return 'full';
      }
      this.head++;
      this.counters.dropped++;
      result = 'dropped-oldest';
    }
    // Built here, once, with its sequence: the hot path allocates one object per message and receiver.
    const envelope: Envelope = { seq: this.nextSeq++, topic, payload, from, sentAt };
    if (requestId !== undefined) envelope.requestId = requestId;
    this.pending.push(envelope);
    this.counters.accepted++;
    this.compact();
    this.watchHighWater();
    return result;
  }

  /** Tells the high-water listener of a crossing from below; a depth fallen to half the mark re-arms it. */
  private watchHighWater(): void {
    if (!this.highWater) return;
    const depth = this.depth;
    if (this.aboveHighWater) {
      if (depth <= this.highWater.depth / 2) this.aboveHighWater = false;
      return;
    }
    if (depth < this.highWater.depth) return;
    this.aboveHighWater = true;
    this.highWater.crossed(depth);
  }

  /** Moves up to `max` pending messages to in-flight and returns them in order. */
  take(max: number): Envelope[] {
    const count = Math.min(max, this.pendingCount);
    if (count <= 0) return [];
    const batch = this.pending.slice(this.head, this.head + count);
    this.head += count;
    for (const envelope of batch) this.inflight.push(envelope);
    this.counters.delivered += count;
    this.compact();
    return batch;
  }

  /** Releases every in-flight message up to and including `seq`; returns how many were released. */
  ack(seq: number): number {
    let released = 0;
    const now = this.latency ? this.latency.clock.now() : 0;
    while (this.inflightHead < this.inflight.length && this.inflight[this.inflightHead]!.seq <= seq) {
      if (this.latency) this.latency.observe(now - this.inflight[this.inflightHead]!.sentAt);
      this.inflightHead++;
      released++;
    }
    if (this.inflightHead === this.inflight.length) {
      this.inflight = [];
      this.inflightHead = 0;
    } else if (this.inflightHead > COMPACT_AFTER && this.inflightHead * 2 > this.inflight.length) {
      this.inflight = this.inflight.slice(this.inflightHead);
      this.inflightHead = 0;
    }
    this.counters.acked += released;
    return released;
  }

  /**
   * After a restart: messages whose effect the restored snapshot already contains (their ack was
   * lost with the crashed thread) are released instead of being delivered again. Pending messages
   * are in sequence order, so they are at the head.
   */
  releaseRestored(seq: number): number {
    let released = 0;
    while (this.head < this.pending.length && this.pending[this.head]!.seq <= seq) {
      this.head++;
      released++;
    }
    this.counters.acked += released;
    this.compact();
    return released;
  }

  /** After a crash: the unacknowledged messages go back to the head, to be delivered again first. */
  requeueInflight(): number {
    const unacked = this.inflight.slice(this.inflightHead);
    this.inflight = [];
    this.inflightHead = 0;
    if (unacked.length > 0) {
      this.pending = unacked.concat(this.pending.slice(this.head));
      this.head = 0;
      this.counters.redelivered += unacked.length;
    }
    return unacked.length;
  }

  /**
   * Refuses `topic` until `untilMs` and removes its pending messages (in-flight ones are already
   * with the actor). Returns how many were removed.
   */
  shed(topic: string, untilMs: number): number {
    this.shedTopics.set(topic, untilMs);
    const kept = this.pending.slice(this.head).filter((envelope) => envelope.topic !== topic);
    const removed = this.pendingCount - kept.length;
    this.pending = kept;
    this.head = 0;
    this.counters.shed += removed;
    return removed;
  }

  unshed(topic: string): boolean {
    return this.shedTopics.delete(topic);
  }

  shedTopicList(): string[] {
    return [...this.shedTopics.keys()];
  }

  /** The topic with the most pending messages, if any is pending. */
  dominantTopic(): string | undefined {
    const counts = new Map<string, number>();
    for (let i = this.head; i < this.pending.length; i++) {
      const topic = this.pending[i]!.topic;
      counts.set(topic, (counts.get(topic) ?? 0) + 1);
    }
    let best: string | undefined;
    for (const [topic, count] of counts) if (best === undefined || count > counts.get(best)!) best = topic;
    return best;
  }

  /** Takes the pending message with this sequence out of the mailbox, if it is pending. */
  remove(seq: number): Envelope | undefined {
    return this.takeOut(this.pending, this.head, seq);
  }

  /**
   * Takes an in-flight message out: its host could not hand it to the actor (undeliverable), so no
   * acknowledgement will cover it and a restart must not deliver it again.
   */
  discardInflight(seq: number): Envelope | undefined {
    return this.takeOut(this.inflight, this.inflightHead, seq);
  }

  /** Splices the message with this sequence out of a queue whose live part starts at `from`; counted as removed. */
  private takeOut(queue: Envelope[], from: number, seq: number): Envelope | undefined {
    const index = queue.findIndex((envelope, i) => i >= from && envelope.seq === seq);
    if (index < 0) return undefined;
    const [removed] = queue.splice(index, 1);
    this.counters.removed++;
    return removed;
  }

  /** Takes every pending message out (a drained backlog); in-flight ones stay with the actor. */
  drainPending(): Envelope[] {
    const drained = this.pending.slice(this.head);
    this.pending = [];
    this.head = 0;
    this.counters.removed += drained.length;
    return drained;
  }

  private isShed(topic: string, now: number): boolean {
    const until = this.shedTopics.get(topic);
    if (until === undefined) return false;
    if (now < until) return true;
    this.shedTopics.delete(topic);
    return false;
  }

  private compact(): void {
    if (this.head > COMPACT_AFTER && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }
}
