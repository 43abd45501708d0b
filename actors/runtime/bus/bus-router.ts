/**
 * The bus, in the host: routes messages by topic to subscribed actors' mailboxes and to
 * handlers in this thread, and requests by actor id (looked up in the ActorRegistry) with a reply
 * deadline on the node's Clock.
 *
 * Per-sender order: each sender's messages are taken by mailboxes in the order it sent them.
 * When a `block` topic meets a full mailbox, that sender's later messages queue behind the
 * blocked one; an actor sender is also paused (it stops processing) until the queue drains,
 * which carries the backpressure back to whatever feeds it.
 */
import type { ActorCell } from '../supervision/actor-cell.js';
import type { ActorRegistry } from './actor-registry.js';
import type { Clock, TimerHandle } from '../contracts/clock.js';
import type { Bus, BusCounters, MessageMeta, Unsubscribe } from '../contracts/bus.js';
import { SENDER_NODE } from '../contracts/envelope.js';
import {
  ActorReplyError,
  MailboxFullError,
  ProtocolViolationError,
  RequestTimeoutError,
  type RuntimeError,
} from '../errors.js';
import type { Outbound } from '../host/thread-protocol.js';
import type { TopicRegistry } from './topic-registry.js';

/** A request with no explicit timeout waits this long: long enough for a cold restart of its target. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

interface QueuedSend {
  topic: string;
  payload: unknown;
  /** Receivers, in subscription order; those before `next` have taken the message. */
  targets: readonly ActorCell[];
  next: number;
  requestId?: string;
  sentAt: number;
  settle?: (error?: Error) => void;
  rejection?: Error;
}

interface PendingRequest {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: TimerHandle;
  actorId: string;
  topic: string;
  startedAt: number;
}

export interface BusRouterLog {
  malformed(error: RuntimeError): void;
  handlerFailed(topic: string, error: unknown): void;
}

const RESOLVED = Promise.resolve();
const NO_TARGETS: readonly ActorCell[] = [];

export class BusRouter implements Bus {
  readonly counters: BusCounters = { published: 0, delivered: 0, malformed: 0, dropped: 0, rejected: 0, lateReplies: 0, heldMax: 0 };
  private readonly actorSubscribers = new Map<string, ActorCell[]>();
  private readonly handlers = new Map<string, Set<(payload: unknown, meta: MessageMeta) => void>>();
  private readonly senderQueues = new Map<string, QueuedSend[]>();
  /** Senders waiting for room in a mailbox, by the mailbox's actor id. */
  private readonly waitingOn = new Map<string, Set<string>>();
  private readonly requests = new Map<string, PendingRequest>();
  private requestSeq = 0;
  /** Longest request round trip per target actor since the last takeRequestLatencies() (the monitor reads it). */
  private requestLatencyMax = new Map<string, number>();

  constructor(
    private readonly topics: TopicRegistry,
    private readonly actors: ActorRegistry,
    private readonly clock: Clock,
    private readonly log: BusRouterLog,
  ) {}

  /** Routes the actor's subscribed topics to its mailbox (the actor is in the registry already). */
  addSubscriber(cell: ActorCell): void {
    for (const topic of cell.spec.subscribes ?? []) {
      this.topics.spec(topic);
      const list = this.actorSubscribers.get(topic) ?? [];
      list.push(cell);
      this.actorSubscribers.set(topic, list);
    }
  }

  publish(topic: string, payload: unknown): Promise<void> {
    return this.publishFrom(SENDER_NODE, topic, payload);
  }

  publishFrom(from: string, topic: string, payload: unknown): Promise<void> {
    let value: unknown;
    try {
      value = this.topics.validate(topic, payload);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send(from, { topic, payload: value, targets: this.actorSubscribers.get(topic) ?? NO_TARGETS, next: 0, sentAt: this.clock.now() }, true);
  }

  subscribe(topic: string, handler: (payload: unknown, meta: MessageMeta) => void): Unsubscribe {
    this.topics.spec(topic);
    const set = this.handlers.get(topic) ?? new Set();
    set.add(handler);
    this.handlers.set(topic, set);
    return () => set.delete(handler);
  }

  request(actorId: string, topic: string, payload: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    let value: unknown;
    let cell: ActorCell;
    try {
      value = this.topics.validate(topic, payload);
      cell = this.actors.get(actorId);
    } catch (error) {
      return Promise.reject(error);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const requestId = `r${++this.requestSeq}`;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.requests.delete(requestId);
        reject(new RequestTimeoutError(actorId, topic, timeoutMs));
      }, timeoutMs);
      this.requests.set(requestId, { resolve, reject, timer, actorId, topic, startedAt: this.clock.monotonicNow() });
      this.send(SENDER_NODE, { topic, payload: value, targets: [cell], next: 0, requestId, sentAt: this.clock.now() }, true).catch((error: Error) => {
        this.clock.clearTimeout(timer);
        this.requests.delete(requestId);
        reject(error);
      });
    });
  }

  /** The longest request round trip per actor (ms) since the previous call. */
  takeRequestLatencies(): Map<string, number> {
    const taken = this.requestLatencyMax;
    this.requestLatencyMax = new Map();
    return taken;
  }

  /** Messages an actor sent, in its order. Malformed ones are counted and dropped. */
  fromActor(actorId: string, batch: Outbound[]): void {
    for (const item of batch) {
      switch (item.kind) {
        case 'publish': {
          let value: unknown;
          try {
            value = this.topics.validate(item.topic, item.payload);
          } catch (error) {
            this.malformed(actorId, error instanceof Error ? error.message : String(error));
            continue;
          }
          void this.send(actorId, { topic: item.topic, payload: value, targets: this.actorSubscribers.get(item.topic) ?? NO_TARGETS, next: 0, sentAt: this.clock.now() }, false);
          break;
        }
        case 'reply':
        case 'reply-error': {
          const pending = this.requests.get(item.requestId);
          if (!pending) {
            // A reply after its deadline, or a second reply to a redelivered request.
            this.counters.lateReplies++;
            continue;
          }
          this.requests.delete(item.requestId);
          this.clock.clearTimeout(pending.timer);
          const latency = this.clock.monotonicNow() - pending.startedAt;
          if (latency > (this.requestLatencyMax.get(pending.actorId) ?? 0)) this.requestLatencyMax.set(pending.actorId, latency);
          if (item.kind === 'reply') pending.resolve(item.payload);
          else pending.reject(new ActorReplyError(pending.actorId, pending.topic, item.error));
          break;
        }
      }
    }
  }

  malformed(actorId: string, detail: string): void {
    this.counters.malformed++;
    this.log.malformed(new ProtocolViolationError(`actor '${actorId}'`, detail));
  }

  /** A mailbox has room again: senders waiting on it go on, in the order they blocked. */
  spaceIn(actorId: string): void {
    const waiting = this.waitingOn.get(actorId);
    if (!waiting || waiting.size === 0) return;
    this.waitingOn.delete(actorId);
    for (const sender of waiting) this.drain(sender);
  }

  /** Rejects every request still waiting (the node is stopping). */
  rejectPending(error: Error): void {
    for (const [requestId, pending] of this.requests) {
      this.clock.clearTimeout(pending.timer);
      this.requests.delete(requestId);
      pending.reject(error);
    }
  }

  private send(from: string, item: QueuedSend, wantPromise: boolean): Promise<void> {
    this.counters.published++;
    this.notifyHandlers(item, from);
    const queue = this.senderQueues.get(from);
    // Fast path: nothing of this sender's is waiting, and every mailbox takes the message now.
    if (!queue && this.offerAll(from, item)) {
      return item.rejection && wantPromise ? Promise.reject(item.rejection) : RESOLVED;
    }
    let promise: Promise<void> = RESOLVED;
    if (wantPromise) {
      promise = new Promise<void>((resolve, reject) => {
        item.settle = (error) => (error ? reject(error) : resolve());
      });
    }
    if (queue) queue.push(item);
    else this.block(from, item);
    const held = queue ? queue.length : 1;
    if (held > this.counters.heldMax) this.counters.heldMax = held;
    return promise;
  }

  /** Offers the message to each remaining target; false when one that blocks is full. */
  private offerAll(from: string, item: QueuedSend): boolean {
    while (item.next < item.targets.length) {
      const cell = item.targets[item.next]!;
      const policy = this.topics.spec(item.topic).overflow;
      const result = cell.mailbox.offer(item.topic, item.payload, from, item.sentAt, item.requestId, policy);
      if (result === 'full') {
        if (policy === 'block') {
          cell.mailbox.counters.blocked++;
          this.waitFor(cell.id, from);
          return false;
        }
        this.counters.rejected++;
        item.rejection ??= new MailboxFullError(cell.id, item.topic, cell.mailbox.capacity);
      } else if (result === 'shed') {
        // The topic is shed at this mailbox by a remediation: dropped on arrival, counted.
        this.counters.dropped++;
      } else {
        if (result === 'dropped-oldest') this.counters.dropped++;
        this.counters.delivered++;
        cell.schedulePump();
      }
      item.next++;
    }
    return true;
  }

  private block(from: string, item: QueuedSend): void {
    this.senderQueues.set(from, [item]);
    this.actors.find(from)?.setPaused(true);
  }

  private waitFor(actorId: string, sender: string): void {
    const set = this.waitingOn.get(actorId) ?? new Set();
    set.add(sender);
    this.waitingOn.set(actorId, set);
  }

  private drain(sender: string): void {
    const queue = this.senderQueues.get(sender);
    if (!queue) return;
    while (queue.length > 0) {
      const item = queue[0]!;
      if (!this.offerAll(sender, item)) return;
      queue.shift();
      item.settle?.(item.rejection);
    }
    this.senderQueues.delete(sender);
    this.actors.find(sender)?.setPaused(false);
  }

  private notifyHandlers(item: QueuedSend, from: string): void {
    if (item.requestId !== undefined) return;
    const handlers = this.handlers.get(item.topic);
    if (!handlers || handlers.size === 0) return;
    const meta: MessageMeta = { topic: item.topic, from };
    for (const handler of handlers) {
      try {
        handler(item.payload, meta);
      } catch (error) {
        this.log.handlerFailed(item.topic, error);
      }
    }
  }
}
