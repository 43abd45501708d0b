/**
 * The inline host's incarnations through the Host contract, as an actor cell drives them (the
 * node-level behaviour is in inline-host.test.ts): delivery held while paused, snapshots and
 * health readings, the faults it can inject and the ones it refuses, a remediation's kill, the
 * inspection events it forwards, and a stop or close after which nothing more is delivered.
 */
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createInlineHost, InjectedFaultError, UnsupportedFaultError } from '../../../../actors/runtime/host/inline-host.js';
import type { ActorIncarnation, ExitInfo, IncarnationEvents } from '../../../../actors/runtime/contracts/host.js';
import type { Envelope } from '../../../../actors/runtime/contracts/envelope.js';
import type { Outbound } from '../../../../actors/runtime/host/thread-protocol.js';
import { createActorSnapshotStore } from '../../../../store/actor-snapshots.js';
import { VirtualClock } from '../../../../lib/timing/virtual-clock.js';
import { until } from '../../../helpers/wait.js';
import { COUNTER_ACTOR } from '../../../fixtures/fixture-paths.js';
import { useStoreFile } from '../../../store/fixtures/store-file.js';

const storeFile = useStoreFile();

function recorder() {
  const seen = { acks: [] as number[], outbound: [] as Outbound[], exits: [] as ExitInfo[], states: [] as unknown[], inspected: [] as Record<string, unknown>[] };
  const events: IncarnationEvents = {
    ack: (seq) => void seen.acks.push(seq),
    outbound: (batch) => void seen.outbound.push(...batch),
    exit: (info) => void seen.exits.push(info),
    malformed: (detail) => {
      throw new Error(`unexpected malformed message: ${detail}`);
    },
    // Inline, nothing crosses a thread: nothing is ever undeliverable.
    undeliverable: (_envelope, detail) => {
      throw new Error(`unexpected undeliverable message: ${detail}`);
    },
    state: (value) => void seen.states.push(value),
    inspect: (event) => void seen.inspected.push(event),
  };
  return { seen, events };
}

async function launch(options: { inspect?: boolean } = {}) {
  const host = createInlineHost({ snapshots: createActorSnapshotStore(storeFile.open()), clock: new VirtualClock() });
  const { seen, events } = recorder();
  const incarnation = await host.launch(
    {
      actorId: 'c',
      module: COUNTER_ACTOR,
      options: {},
      databasePath: storeFile.path(),
      runId: 'run-1',
      throttleMs: 0,
      liveness: { intervalMs: 1_000, timeoutMs: 3_000 },
      ...(options.inspect ? { inspect: true } : {}),
    },
    events,
  );
  return { host, incarnation, seen };
}

const increment = (seq: number): Envelope => ({ seq, topic: 'test.increment', payload: { sender: 's', n: seq }, from: 'node', sentAt: 0 });
const countOf = async (incarnation: ActorIncarnation) => ((await incarnation.snapshot()) as { context: { count: number } }).context.count;

describe('inline host incarnation', () => {
  it('delivers asynchronously, holds delivery while paused and resumes it in order', async () => {
    const { host, incarnation, seen } = await launch();
    incarnation.deliver([increment(1)]);
    // Never synchronously: publishing must not re-enter an actor.
    expect(await countOf(incarnation)).toBe(0);
    await until('the first delivery', () => seen.acks.includes(1), 5_000, 1);
    incarnation.setPaused(true);
    incarnation.deliver([increment(2)]);
    incarnation.deliver([increment(3)]);
    for (let i = 0; i < 5; i++) await turn();
    expect(await countOf(incarnation)).toBe(1);
    incarnation.setPaused(false);
    await until('the held deliveries', () => seen.acks.at(-1) === 3, 5_000, 1);
    expect(await countOf(incarnation)).toBe(3);
    expect(seen.states).toEqual(['counting']);
    await host.close();
  });

  it("reads health in this thread's terms: the machine's state and heap, no CPU time or thread of its own", async () => {
    const { host, incarnation } = await launch();
    const health = await incarnation.health();
    expect(health).toMatchObject({ state: 'counting', cpuTimeMs: -1, threadId: 0, storeWriteMaxMs: 0 });
    expect(health.heapUsedBytes).toBeGreaterThan(0);
    expect(health.retainedHeapBytes).toBeGreaterThan(0);
    expect(health.runningMs).toBeGreaterThanOrEqual(0);
    expect(incarnation.utilizationSinceLast()).toBeUndefined();
    expect(incarnation.loopIdleMs()).toBeUndefined();
    expect(incarnation.processedCount()).toBeUndefined();
    expect(incarnation.schedStat()).toBeUndefined();
    expect(incarnation.storeWriteRunningMs(Date.now())).toBe(0);
    await host.close();
  });

  it('injects a throw or an exit as a crash with its exit event, and refuses faults that would hit the host thread', async () => {
    for (const kind of ['throw', 'exit'] as const) {
      const { host, incarnation, seen } = await launch();
      await incarnation.inject(kind);
      await until(`the exit after '${kind}'`, () => seen.exits.length === 1, 5_000, 1);
      expect(seen.exits[0]).toMatchObject({ normal: false, reason: `injected fault: ${kind}` });
      expect(seen.exits[0]!.error).toBeInstanceOf(InjectedFaultError);
      // Ended: further deliveries go nowhere.
      incarnation.deliver([increment(1)]);
      for (let i = 0; i < 3; i++) await turn();
      expect(seen.acks).toEqual([]);
      await host.close();
    }
    const { host, incarnation, seen } = await launch();
    for (const kind of ['hang', 'cpu-hog', 'memory-leak', 'slow-store'] as const) {
      await expect(incarnation.inject(kind)).rejects.toBeInstanceOf(UnsupportedFaultError);
    }
    expect(seen.exits).toEqual([]);
    await host.close();
  });

  it("ends at once on a remediation's kill, as a crash naming the reason; exits only once", async () => {
    const { host, incarnation, seen } = await launch();
    incarnation.kill('actor.unresponsive');
    incarnation.kill('again');
    await until('the exit', () => seen.exits.length > 0, 5_000, 1);
    for (let i = 0; i < 3; i++) await turn();
    expect(seen.exits).toHaveLength(1);
    // Ordered: the supervisor restarts it at once and does not count it as a crash.
    expect(seen.exits[0]).toMatchObject({ normal: false, reason: 'injected fault: restart by remediation: actor.unresponsive', ordered: true });
    await host.close();
  });

  it("ends normally when the machine reaches its final state, and as a crash carrying the message's sequence when it fails", async () => {
    const finished = await launch();
    finished.incarnation.deliver([{ seq: 1, topic: 'test.finish', payload: {}, from: 'node', sentAt: 0 }]);
    await until('the normal exit', () => finished.seen.exits.length > 0, 5_000, 1);
    expect(finished.seen.exits).toEqual([{ normal: true, reason: 'machine reached a final state' }]);
    await finished.host.close();

    const failing = await launch();
    failing.incarnation.deliver([increment(1), { seq: 2, topic: 'test.fail', payload: { message: 'boom' }, from: 'node', sentAt: 0 }]);
    await until('the crash', () => failing.seen.exits.length > 0, 5_000, 1);
    expect(failing.seen.exits[0]).toMatchObject({ normal: false, seq: 2, reason: expect.stringContaining('machine failed: ') });
    expect(failing.seen.exits[0]!.reason).toContain('told to fail: boom');
    expect(failing.seen.exits[0]!.ordered).toBeUndefined();
    // A kill after the failure ended it changes nothing: the crash stands, not an ordered exit.
    failing.incarnation.kill('too late');
    for (let i = 0; i < 3; i++) await turn();
    expect(failing.seen.exits).toHaveLength(1);
    await failing.host.close();
  });

  it("forwards the machine's inspection events as plain JSON when asked", async () => {
    const { host, incarnation, seen } = await launch({ inspect: true });
    incarnation.deliver([increment(1)]);
    await until('an inspected event', () => seen.inspected.some((event) => (event['event'] as { type?: string } | undefined)?.type === 'test.increment'), 5_000, 1);
    const event = seen.inspected.find((inspected) => (inspected['event'] as { type?: string } | undefined)?.type === 'test.increment')!;
    // Plain JSON: it survives a round trip unchanged (a worker posts the same object across a thread).
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
    expect(seen.inspected.some((inspected) => inspected['type'] === '@xstate.snapshot')).toBe(true);
    await host.close();
  });

  it('stops gracefully without an exit event, and closes every incarnation still running', async () => {
    const { host, incarnation, seen } = await launch();
    incarnation.deliver([increment(1)]);
    await incarnation.stop(1_000);
    await incarnation.stop(1_000);
    incarnation.deliver([increment(2)]);
    for (let i = 0; i < 3; i++) await turn();
    expect(seen.exits).toEqual([]);
    // Stopped before its delivery turn: the message stays unacknowledged, for the next incarnation.
    expect(seen.acks).toEqual([]);

    const other = await host.launch(
      { actorId: 'd', module: COUNTER_ACTOR, options: {}, databasePath: storeFile.path(), runId: 'run-1', throttleMs: 0, liveness: { intervalMs: 1_000, timeoutMs: 3_000 } },
      recorder().events,
    );
    await host.close();
    other.deliver([increment(1)]);
    for (let i = 0; i < 3; i++) await turn();
    expect(await countOf(other)).toBe(0);
  });
});
