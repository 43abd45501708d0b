/**
 * Runs one incarnation of an actor in the current thread: the same code serves the worker
 * host (inside the worker) and the inline host (in the caller's thread).
 *
 * Delivery and persistence agree: the runner acknowledges a message only once a stored
 * snapshot contains its effect (for persistent actors), and the snapshot records the last
 * mailbox sequence it contains. After a crash the host redelivers every unacknowledged
 * message; those at or below the restored sequence are recognised and skipped, so their
 * effect is never applied twice, and none is lost.
 */
import { createActor, type AnyActorRef, type AnyStateMachine, type InspectionEvent, type Observer } from 'xstate';
import type { Clock } from '../contracts/clock.js';
import type { ActorDefinition, ActorIo } from '../contracts/actor.js';
import { toBusEvent, type BusEmitted, type DeliveredMessage } from '../contracts/envelope.js';
import type { SnapshotPort } from '../contracts/snapshot-port.js';
import type { Outbound } from './thread-protocol.js';
import { BusPressureSignal } from './bus-pressure-signal.js';
import { FLOOD_MESSAGE_COST_MS, FLOOD_TOPIC, POISON_TOPIC } from '../self-healing/chaos-topics.js';
import { RuntimeError } from '../errors.js';
import { busyFor } from './worker/thread-faults.js';

/** A chaos poison message reached the actor (see chaos-topics.ts). */
export class PoisonMessageError extends RuntimeError {
  constructor(
    readonly actorId: string,
    readonly seq: number,
  ) {
    super(`actor '${actorId}' crashed on poison message ${seq}`);
  }
}

const NOT_REPORTED = Symbol('not reported');

/**
 * Whether two XState state values name the same states: a string, or an object of nested values.
 * A transition builds a new value object even when the states stay; comparing in place, instead of
 * serializing both, keeps the per-batch check free of allocation.
 */
function sameStateValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key) || !sameStateValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

export interface ActorRunnerInit {
  definition: ActorDefinition;
  /** The actor's I/O but its bus pressure, which the runner keeps (setHeld). */
  io: Omit<ActorIo, 'pressure' | 'inputHandled'>;
  runId: string;
  /** Required for persistent actors. */
  snapshots?: SnapshotPort;
  /** Minimum time between two snapshot writes; acknowledgements wait for the write. */
  throttleMs: number;
  /** The persist throttle and the machine's delays run on it. */
  clock: Clock;
  /** Called after each message is processed, and with the count of the actor's other input (ActorIo.inputHandled): the worker counts both in shared memory, for liveness and the CPU spent per input. */
  onProcessed?: (count: number) => void;
  /** XState's inspection observer for the machine (the inspector is on). */
  inspect?: Observer<InspectionEvent>;
}

export interface ActorRunnerEvents {
  outbound(batch: Outbound[]): void;
  ack(seq: number): void;
  /** The machine reached a final state. */
  done(): void;
  /**
   * The machine failed: an error in an action, guard or invoked logic. `seq` is the mailbox
   * sequence of the message being processed, when the failure happened while processing one:
   * the host counts crashes per message to recognise a poison message.
   */
  failed(error: unknown, seq?: number): void;
  /**
   * The machine's state value changed (and at the start): reported at most once per delivered
   * batch, after its transitions (and once per turn for changes outside a delivery), so the host's
   * view of the tree stays current without asking.
   */
  stateChanged?(value: unknown): void;
}

export class ActorRunner {
  private readonly actor: AnyActorRef;
  private readonly persistent: boolean;
  private lastSeq = 0;
  private ackedSeq = 0;
  private lastPersistAt = -Infinity;
  /** Cancels the scheduled snapshot write, if one is scheduled. */
  private cancelScheduledPersist: (() => void) | undefined;
  private outbox: Outbound[] = [];
  private delivering = false;
  private flushScheduled = false;
  private stopped = false;
  private failed = false;
  private stateCheckScheduled = false;
  /** The machine moved during the delivery under way: its state is checked once, at the batch's end. */
  private movedWhileDelivering = false;
  /** The state value last reported, so an unchanged state is not reported again (none yet: a unique marker). */
  private reportedState: unknown = NOT_REPORTED;
  /** The message being processed, while one is. */
  private processingSeq: number | undefined;
  /** The sequence the restored snapshot covers; redelivered messages up to it are skipped. */
  readonly restoredSeq: number;
  /** A listener that throws is the actor's failure, like a throw in its machine. */
  private readonly pressure = new BusPressureSignal((error) => this.fail(error));

  constructor(
    private readonly init: ActorRunnerInit,
    private readonly events: ActorRunnerEvents,
  ) {
    this.persistent = init.definition.persistent !== false;
    if (this.persistent && !init.snapshots) {
      throw new TypeError(`actor '${init.io.actorId}' is persistent but has no snapshot store`);
    }
    const machine: AnyStateMachine = init.definition.createMachine({
      ...init.io,
      pressure: this.pressure,
      inputHandled: (count) => {
        // A count that is not a positive whole number would corrupt the thread's shared counter (a -1 reads as four billion).
        if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`inputHandled takes a positive whole count, got ${count}`);
        init.onProcessed?.(count);
      },
    });
    const record = this.persistent ? init.snapshots!.load(init.io.actorId) : undefined;
    // Mailbox sequences restart with every node run, so a sequence from another run says nothing.
    this.restoredSeq = record && record.runId === init.runId ? record.lastSeq : 0;
    this.lastSeq = this.restoredSeq;
    this.ackedSeq = this.restoredSeq;
    this.actor = createActor(machine, {
      id: init.io.actorId,
      ...(record ? { snapshot: record.snapshot as never } : {}),
      clock: init.clock,
      ...(init.inspect ? { inspect: init.inspect } : {}),
    });
    this.actor.on('bus.publish', (emitted: BusEmitted) => {
      if (emitted.type !== 'bus.publish') return;
      this.outbox.push({ kind: 'publish', topic: emitted.topic, payload: emitted.payload });
      this.flushSoonUnlessDelivering();
    });
    this.actor.on('bus.reply', (emitted: BusEmitted) => {
      if (emitted.type !== 'bus.reply') return;
      this.outbox.push(
        'error' in emitted
          ? { kind: 'reply-error', requestId: emitted.requestId, error: emitted.error }
          : { kind: 'reply', requestId: emitted.requestId, payload: emitted.payload },
      );
      this.flushSoonUnlessDelivering();
    });
    this.actor.subscribe({
      next: (snapshot: { status: string }) => {
        this.reportStateSoon();
        if (snapshot.status === 'done' && !this.stopped) {
          this.flushOutbox();
          this.events.done();
        }
      },
      error: (error: unknown) => this.fail(error),
    });
  }

  /** The bus paused (true) or resumed (false) this actor: its BusPressure tells the actor's I/O. */
  setHeld(held: boolean): void {
    if (!this.stopped && !this.failed) this.pressure.set(held);
  }

  start(): void {
    this.actor.start();
    this.flushOutbox();
    this.reportStateSoon();
  }

  /** Processes a batch in mailbox order; skips what the restored snapshot already contains. */
  deliver(batch: readonly DeliveredMessage[]): void {
    if (this.stopped || this.failed) return;
    this.delivering = true;
    try {
      this.deliverBatch(batch);
    } finally {
      this.delivering = false;
    }
    if (this.movedWhileDelivering) {
      this.movedWhileDelivering = false;
      this.reportStateIfChanged();
    }
  }

  private deliverBatch(batch: readonly DeliveredMessage[]): void {
    let skipped = false;
    for (const envelope of batch) {
      if (envelope.seq <= this.lastSeq) {
        skipped = true;
        continue;
      }
      this.processingSeq = envelope.seq;
      if (envelope.topic.startsWith('chaos.') && this.handleChaos(envelope)) {
        if (this.failed) return;
      } else {
        this.actor.send(toBusEvent(envelope));
        if (this.failed) return;
      }
      this.processingSeq = undefined;
      this.lastSeq = envelope.seq;
      this.init.onProcessed?.(1);
    }
    this.flushOutbox();
    // Skipped messages are already acknowledged by a stored snapshot, but the host still holds
    // them in flight: say so again, or a window full of them would never be released.
    if (skipped) this.events.ack(this.ackedSeq);
    this.settle();
  }

  /** The current persisted snapshot (plain JSON). */
  persistedSnapshot(): unknown {
    return this.actor.getPersistedSnapshot();
  }

  /** The machine's current state value, for status. */
  stateValue(): unknown {
    return (this.actor.getSnapshot() as { value?: unknown }).value;
  }

  /**
   * Graceful stop: the last state is written and everything processed acknowledged. Returns the
   * last acknowledged sequence, so a host whose acknowledgement travels on another channel than
   * its stop reply can release those messages without waiting for the ack.
   */
  stop(): number {
    if (this.stopped) return this.ackedSeq;
    this.cancelPersist();
    if (!this.failed) {
      this.flushOutbox();
      if (this.persistent && this.lastSeq > this.ackedSeq) this.persist();
      else this.acknowledge();
    }
    this.stopped = true;
    this.actor.stop();
    this.init.definition.dispose?.();
    return this.ackedSeq;
  }

  /** Handles a chaos message itself (true), or leaves it to the machine (false). */
  private handleChaos(envelope: DeliveredMessage): boolean {
    if (envelope.topic === POISON_TOPIC) {
      this.fail(new PoisonMessageError(this.init.io.actorId, envelope.seq));
      return true;
    }
    if (envelope.topic === FLOOD_TOPIC) {
      busyFor(FLOOD_MESSAGE_COST_MS);
      return true;
    }
    return false;
  }

  private settle(): void {
    if (this.lastSeq === this.ackedSeq) return;
    if (!this.persistent) {
      this.acknowledge();
      return;
    }
    if (this.cancelScheduledPersist) return;
    // Never written inside deliver(): the batch's replies and publishes leave first, and every
    // batch that arrives before the write is covered by it.
    const wait = this.lastPersistAt + this.init.throttleMs - this.init.clock.monotonicNow();
    const write = () => {
      this.cancelScheduledPersist = undefined;
      if (this.stopped || this.failed) return;
      // On a timer: a store that refuses the write (full, busy, a snapshot that is not JSON) is the
      // actor's failure, reported as one, not an exception that ends the thread unexplained.
      try {
        this.persist();
      } catch (error) {
        this.fail(error);
      }
    };
    if (wait <= 0) {
      const immediate = setImmediate(write);
      this.cancelScheduledPersist = () => clearImmediate(immediate);
    } else {
      const timer = this.init.clock.setTimeout(write, wait);
      this.cancelScheduledPersist = () => this.init.clock.clearTimeout(timer);
    }
  }

  private cancelPersist(): void {
    this.cancelScheduledPersist?.();
    this.cancelScheduledPersist = undefined;
  }

  private persist(): void {
    this.init.snapshots!.save(this.init.io.actorId, {
      snapshot: this.actor.getPersistedSnapshot(),
      runId: this.init.runId,
      lastSeq: this.lastSeq,
    });
    this.lastPersistAt = this.init.clock.monotonicNow();
    this.acknowledge();
  }

  private acknowledge(): void {
    if (this.lastSeq === this.ackedSeq) return;
    this.ackedSeq = this.lastSeq;
    this.events.ack(this.ackedSeq);
  }

  /**
   * What a machine emits outside a delivery (moved by an invoked actor or a delayed event) leaves
   * at the end of the current turn; within a delivery, the batch's end flushes it.
   */
  private flushSoonUnlessDelivering(): void {
    if (this.delivering || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      if (!this.stopped) this.flushOutbox();
    });
  }

  private flushOutbox(): void {
    if (this.outbox.length === 0) return;
    const batch = this.outbox;
    this.outbox = [];
    this.events.outbound(batch);
  }

  /**
   * After a transition: within a delivery the batch's end reports (no task per message: this is
   * the hot path), outside one (a delayed event, an invoked actor) the end of the current turn.
   */
  private reportStateSoon(): void {
    if (!this.events.stateChanged) return;
    if (this.delivering) {
      this.movedWhileDelivering = true;
      return;
    }
    if (this.stateCheckScheduled) return;
    this.stateCheckScheduled = true;
    queueMicrotask(() => {
      this.stateCheckScheduled = false;
      this.reportStateIfChanged();
    });
  }

  private reportStateIfChanged(): void {
    if (this.stopped || this.failed) return;
    const value = this.stateValue();
    if (sameStateValue(value, this.reportedState)) return;
    this.reportedState = value;
    this.events.stateChanged?.(value);
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.cancelPersist();
    this.events.failed(error, this.processingSeq);
  }
}
