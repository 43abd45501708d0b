/**
 * The actor runner, the one incarnation loop both hosts run (inside a worker thread or inline),
 * against a real SQLite snapshot store and a virtual clock for its write throttle: exactly-once
 * effect (acknowledge only what a stored snapshot holds, skip what a restored one already holds),
 * chaos messages handled before the machine sees them, failures carrying the sequence being
 * processed, a final state, and a graceful stop.
 */
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { ActorRunner, PoisonMessageError } from '../../../../actors/runtime/host/actor-runner.js';
import { defineActor, type ActorDefinition } from '../../../../actors/runtime/contracts/actor.js';
import type { Envelope } from '../../../../actors/runtime/contracts/envelope.js';
import type { Outbound } from '../../../../actors/runtime/host/thread-protocol.js';
import { FLOOD_TOPIC, POISON_TOPIC } from '../../../../actors/runtime/self-healing/chaos-topics.js';
import { createActorSnapshotStore, type ActorSnapshotStore } from '../../../../store/actor-snapshots.js';
import { VirtualClock } from '../../../../lib/timing/virtual-clock.js';
import { createCounterMachine } from '../../../fixtures/counter-machine.js';
import { useStoreFile } from '../../../store/fixtures/store-file.js';
import { until } from '../../../helpers/wait.js';

const storeFile = useStoreFile();
const counter = (options: Partial<ActorDefinition> = {}) => defineActor({ createMachine: (io) => createCounterMachine(io.actorId, false), ...options });

interface Recorded {
  acks: number[];
  outbound: Outbound[];
  failures: Array<{ error: unknown; seq: number | undefined }>;
  done: number;
  states: unknown[];
}

function startRunner(options: { snapshots?: ActorSnapshotStore; runId?: string; throttleMs?: number; clock?: VirtualClock; definition?: ActorDefinition } = {}) {
  const recorded: Recorded = { acks: [], outbound: [], failures: [], done: 0, states: [] };
  const runner = new ActorRunner(
    {
      definition: options.definition ?? counter(),
      io: { actorId: 'c', options: {}, databasePath: storeFile.path() },
      runId: options.runId ?? 'run-1',
      ...(options.snapshots ? { snapshots: options.snapshots } : {}),
      throttleMs: options.throttleMs ?? 0,
      clock: options.clock ?? new VirtualClock(),
    },
    {
      outbound: (batch) => void recorded.outbound.push(...batch),
      ack: (seq) => void recorded.acks.push(seq),
      failed: (error, seq) => void recorded.failures.push({ error, seq }),
      done: () => void recorded.done++,
      stateChanged: (value) => void recorded.states.push(value),
    },
  );
  runner.start();
  return { runner, recorded };
}

let nextRequest = 0;
const envelope = (seq: number, topic: string, payload: unknown = {}, requestId?: string): Envelope => ({
  seq,
  topic,
  payload,
  from: 'node',
  sentAt: 0,
  ...(requestId !== undefined ? { requestId } : {}),
});
const increment = (seq: number) => envelope(seq, 'test.increment', { sender: 's', n: seq });
const countOf = (runner: ActorRunner) => (runner.persistedSnapshot() as { context: { count: number } }).context.count;

/** The counter's answer to test.get, delivered as message `seq`. */
function ask(runner: ActorRunner, recorded: Recorded, seq: number): unknown {
  const requestId = `r${nextRequest++}`;
  runner.deliver([envelope(seq, 'test.get', {}, requestId)]);
  const reply = recorded.outbound.find((out) => out.kind === 'reply' && out.requestId === requestId);
  return reply && reply.kind === 'reply' ? reply.payload : undefined;
}

describe('actor runner', () => {
  it('acknowledges a message only once a stored snapshot holds its effect, at most once per throttle period', async () => {
    const snapshots = createActorSnapshotStore(storeFile.open());
    const clock = new VirtualClock();
    const { runner, recorded } = startRunner({ snapshots, clock, throttleMs: 1_000 });
    runner.deliver([increment(1), increment(2)]);
    // Never written inside the delivery: the batch's output leaves first.
    expect(recorded.acks).toEqual([]);
    expect(snapshots.load('c')).toBeUndefined();
    await turn();
    expect(recorded.acks).toEqual([2]);
    expect(snapshots.load('c')).toMatchObject({ runId: 'run-1', lastSeq: 2 });

    runner.deliver([increment(3)]);
    await turn();
    expect(recorded.acks).toEqual([2]);
    clock.advance(999);
    expect(recorded.acks).toEqual([2]);
    clock.advance(1);
    expect(recorded.acks).toEqual([2, 3]);
    expect(snapshots.load('c')).toMatchObject({ lastSeq: 3, snapshot: { context: { count: 3 } } });
    runner.stop();
  });

  it('restored from its snapshot, skips the redelivered messages the snapshot holds and acknowledges them again', async () => {
    const snapshots = createActorSnapshotStore(storeFile.open());
    const first = startRunner({ snapshots });
    first.runner.deliver([increment(1), increment(2), increment(3)]);
    await turn();
    expect(first.recorded.acks).toEqual([3]);
    // A crash: no stop, the host redelivers everything from the first unacknowledged message on, and more.
    const second = startRunner({ snapshots });
    expect(second.runner.restoredSeq).toBe(3);
    second.runner.deliver([increment(2), increment(3), increment(4)]);
    // The skipped ones are acknowledged at once (the host still counts them in flight), the new one after its write.
    expect(second.recorded.acks).toEqual([3]);
    await turn();
    expect(second.recorded.acks).toEqual([3, 4]);
    expect(ask(second.runner, second.recorded, 5)).toEqual({ count: 4 });
    second.runner.stop();
  });

  it("restores the state of another node run's snapshot, but not its sequence: mailbox sequences restart with every run", async () => {
    const snapshots = createActorSnapshotStore(storeFile.open());
    const first = startRunner({ snapshots, runId: 'run-1' });
    first.runner.deliver([increment(1), increment(2)]);
    first.runner.stop();
    const next = startRunner({ snapshots, runId: 'run-2' });
    expect(next.runner.restoredSeq).toBe(0);
    next.runner.deliver([increment(1)]);
    expect(countOf(next.runner)).toBe(3);
    next.runner.stop();
  });

  it('fails on a poison message with its sequence, before the machine sees it, and writes nothing of the batch', async () => {
    const snapshots = createActorSnapshotStore(storeFile.open());
    const { runner, recorded } = startRunner({ snapshots });
    runner.deliver([increment(1), envelope(2, POISON_TOPIC, { startedAt: 0 }), increment(3)]);
    expect(recorded.failures).toHaveLength(1);
    expect(recorded.failures[0]!.error).toBeInstanceOf(PoisonMessageError);
    expect(recorded.failures[0]).toMatchObject({ seq: 2, error: { actorId: 'c', seq: 2, message: "actor 'c' crashed on poison message 2" } });
    // The message after the poison never reached the machine; nothing more is delivered, written or acknowledged.
    expect(countOf(runner)).toBe(1);
    runner.deliver([increment(4)]);
    await turn();
    expect(countOf(runner)).toBe(1);
    expect(recorded.acks).toEqual([]);
    expect(snapshots.load('c')).toBeUndefined();
    // A failed runner stops without writing its state: the next incarnation starts from the last good snapshot.
    runner.stop();
    expect(snapshots.load('c')).toBeUndefined();
  });

  it('takes a flood message itself: processed and acknowledged, never seen by the machine', async () => {
    const snapshots = createActorSnapshotStore(storeFile.open());
    const { runner, recorded } = startRunner({ snapshots });
    runner.deliver([envelope(1, FLOOD_TOPIC, null), envelope(2, FLOOD_TOPIC, null), increment(3)]);
    await turn();
    expect(recorded.acks).toEqual([3]);
    expect(countOf(runner)).toBe(1);
    expect(recorded.failures).toEqual([]);
    runner.stop();
  });

  it("reports a machine's own failure with the sequence of the message it failed on", () => {
    const snapshots = createActorSnapshotStore(storeFile.open());
    const { runner, recorded } = startRunner({ snapshots });
    runner.deliver([increment(1), envelope(2, 'test.fail', { message: 'on purpose' })]);
    expect(recorded.failures).toHaveLength(1);
    expect(recorded.failures[0]).toMatchObject({ seq: 2 });
    expect(String(recorded.failures[0]!.error)).toContain('told to fail: on purpose');
    runner.stop();
  });

  it('says done once when the machine reaches its final state, and reports each state change once', async () => {
    const snapshots = createActorSnapshotStore(storeFile.open());
    const { runner, recorded } = startRunner({ snapshots });
    await turn();
    runner.deliver([increment(1), increment(2)]);
    await turn();
    // Counting does not change the state value: reported once, at the start.
    expect(recorded.states).toEqual(['counting']);
    runner.deliver([envelope(3, 'test.finish')]);
    expect(recorded.done).toBe(1);
    expect(recorded.failures).toEqual([]);
    runner.stop();
    expect(recorded.done).toBe(1);
  });

  it('reports a nested state value when a state changes, once per batch, and not when a transition keeps the states', async () => {
    // Two regions: every event rebuilds the value object, but only 'move' changes a state.
    const regions = defineActor({
      persistent: false,
      createMachine: () =>
        createMachine({
          type: 'parallel',
          context: { seen: 0 },
          states: {
            link: { initial: 'down', states: { down: { on: { 'test.move': 'up' } }, up: { on: { 'test.move': 'down' } } } },
            load: { initial: 'idle', states: { idle: {} } },
          },
          on: { 'test.tick': { actions: assign({ seen: ({ context }) => context.seen + 1 }) } },
        }),
    });
    const { runner, recorded } = startRunner({ definition: regions });
    await turn();
    runner.deliver([envelope(1, 'test.tick'), envelope(2, 'test.tick')]);
    expect(recorded.states).toEqual([{ link: 'down', load: 'idle' }]);
    runner.deliver([envelope(3, 'test.move'), envelope(4, 'test.tick')]);
    runner.deliver([envelope(5, 'test.move'), envelope(6, 'test.move')]);
    await turn();
    // The second batch moved twice and ended where it began: nothing new to report.
    expect(recorded.states).toEqual([
      { link: 'down', load: 'idle' },
      { link: 'up', load: 'idle' },
    ]);
    runner.deliver([envelope(7, 'test.move')]);
    expect(recorded.states.at(-1)).toEqual({ link: 'down', load: 'idle' });
    expect(recorded.states).toHaveLength(3);
    runner.stop();
  });

  it('stops gracefully: writes the last state at once, acknowledges what it processed, disposes, and does it only once', () => {
    const snapshots = createActorSnapshotStore(storeFile.open());
    const clock = new VirtualClock();
    let disposed = 0;
    const { runner, recorded } = startRunner({ snapshots, clock, throttleMs: 60_000, definition: counter({ dispose: () => void disposed++ }) });
    runner.deliver([increment(1)]);
    // The write is due only after the throttle; stop does not wait for it.
    expect(runner.stop()).toBe(1);
    expect(recorded.acks).toEqual([1]);
    expect(snapshots.load('c')).toMatchObject({ lastSeq: 1 });
    expect(disposed).toBe(1);
    expect(runner.stop()).toBe(1);
    expect(disposed).toBe(1);
    // The throttled write scheduled before the stop never happens.
    expect(clock.pendingTimers()).toBe(0);
  });

  it('acknowledges a stateless actor as soon as it has processed, and refuses a persistent one without a store', () => {
    const { runner, recorded } = startRunner({ definition: counter({ persistent: false }) });
    runner.deliver([increment(1), increment(2)]);
    expect(recorded.acks).toEqual([2]);
    runner.stop();
    expect(() => startRunner({})).toThrow(/actor 'c' is persistent but has no snapshot store/);
  });
});

describe('a snapshot write that fails on its timer', () => {
  it("is the actor's failure, reported with its error, not an exception that ends the thread", async () => {
    const store = createActorSnapshotStore(storeFile.open());
    const refusing: ActorSnapshotStore = {
      ...store,
      load: (actorId) => store.load(actorId),
      save: () => {
        throw new Error('SQLITE_FULL: database or disk is full');
      },
    };
    const { runner, recorded } = startRunner({ snapshots: refusing });
    runner.deliver([increment(1)]);
    // The write is scheduled for the next turn (throttle 0): there it throws.
    await until('the failure reported', () => recorded.failures.length === 1);
    expect(String(recorded.failures[0]!.error)).toContain('SQLITE_FULL');
    expect(recorded.acks).toEqual([]);
  });
});
