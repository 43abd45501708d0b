/** The worker host on its own: liveness, pending calls at exit, malformed messages. */
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerHost } from '../../../../actors/runtime/host/worker-host.js';
import type { ExitInfo, Host, IncarnationEvents } from '../../../../actors/runtime/contracts/host.js';
import { COUNTER_ACTOR, NEVER_LOADS_ACTOR, SLOW_TO_LOAD_ACTOR, STARVED_AT_LOAD_ACTOR } from '../../../fixtures/fixture-paths.js';
import { startCoreHogs, type CoreHogs } from '../../../helpers/core-hogs.js';
import { makeDataDir, requestWhenServing, startTestNode, waitFor, type TestNode } from '../../../helpers/test-node.js';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { openStore } from '../../../../store/open-store.js';
import { DATABASE_FILE_NAME } from '../../../../actors/runtime/node.js';
import { createDeadLetterStore } from '../../../../store/dead-letters.js';

let host: Host | undefined;
let dataDir: string | undefined;
let running: TestNode | undefined;
let hogs: CoreHogs | undefined;
afterEach(async () => {
  await hogs?.stop();
  hogs = undefined;
  await host?.close();
  host = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
  await running?.cleanup();
  running = undefined;
});

function recorder() {
  const exits: ExitInfo[] = [];
  const malformed: string[] = [];
  const events: IncarnationEvents = {
    ack: () => undefined,
    outbound: () => undefined,
    exit: (info) => exits.push(info),
    malformed: (detail) => malformed.push(detail),
    undeliverable: (_envelope, detail) => malformed.push(detail),
  };
  return { exits, malformed, events };
}

function launchSpec(actorId: string, module: string, liveness: { intervalMs: number; timeoutMs: number }) {
  dataDir ??= makeDataDir();
  return { actorId, module, options: {}, databasePath: join(dataDir, 'x0tta6bl4.db'), runId: randomUUID(), throttleMs: 0, liveness };
}

async function launchCounter(liveness = { intervalMs: 50, timeoutMs: 200 }) {
  host = createWorkerHost({ spareWorkers: 0 });
  const record = recorder();
  const incarnation = await host.launch(launchSpec('counter', COUNTER_ACTOR, liveness), record.events);
  return { incarnation, ...record };
}

describe('worker host', () => {
  it('terminates a hung worker at its liveness deadline and rejects calls pending on it', async () => {
    // A deadline a healthy thread meets even on a loaded machine, so only the injected hang ends it.
    const { incarnation, exits } = await launchCounter({ intervalMs: 100, timeoutMs: 1_000 });
    await incarnation.inject('hang');
    // The fault fires on the thread's next turn, so a call may still be answered before it: call
    // until one meets the hung thread. That call can never be answered; it must be rejected, not
    // left pending (a pending one would time the test out).
    let rejection: unknown;
    while (rejection === undefined) {
      rejection = await incarnation.snapshot().then(
        () => undefined,
        (error: unknown) => error,
      );
    }
    expect(rejection).toMatchObject({ name: 'WorkerExitedError', actorId: 'counter' });
    const exit = await waitFor(() => exits[0]);
    expect(exit.normal).toBe(false);
    // Ended by the liveness deadline (how soon is the restart bench's crash_to_serving_ms_hang).
    expect(exit.error?.name).toBe('LivenessTimeoutError');
  });

  it('rejects calls to a worker that has exited', async () => {
    const { incarnation, exits } = await launchCounter({ intervalMs: 1_000, timeoutMs: 5_000 });
    await incarnation.inject('exit');
    const exit = await waitFor(() => exits[0]);
    expect(exit.reason).toContain('code 70');
    await expect(incarnation.health()).rejects.toMatchObject({ name: 'WorkerExitedError' });
  });

  it('reports an uncaught error in the thread as an abnormal exit carrying the error', async () => {
    const { incarnation, exits } = await launchCounter({ intervalMs: 1_000, timeoutMs: 5_000 });
    await incarnation.inject('throw');
    const exit = await waitFor(() => exits[0]);
    expect(exit.normal).toBe(false);
    expect(exit.error?.message).toContain('injected fault');
  });

  it('gives up on a start that never answers at the liveness deadline', async () => {
    host = createWorkerHost({ spareWorkers: 0 });
    const stuck = new URL('../../../fixtures/stuck-at-load-actor.js', import.meta.url).href;
    // The module spins forever, so only the start deadline ends this launch: without it the launch
    // never settles and the test times out. No bound on the elapsed time (a loaded machine stretches
    // it). The restart bench's crash_to_serving_ms_hang measures the same liveness deadline on a
    // running thread; no figure measures it at start.
    await expect(host.launch(launchSpec('stuck', stuck, { intervalMs: 100, timeoutMs: 300 }), recorder().events)).rejects.toMatchObject({ name: 'LivenessTimeoutError', actorId: 'stuck' });
  });

  it('spares a start whose thread was silent past its timeout while it waited for a core, not while it could answer', async () => {
    // Every core held by a hog, the module's thread at nice 10 (about a tenth of a core beside a
    // hog): its 100 ms of CPU at load take about a second of wall time, most of it waiting for a
    // core. Before the deadline discounted that wait, this launch was ended at 300 ms like a hung one.
    hogs = await startCoreHogs();
    host = createWorkerHost({ spareWorkers: 0 });
    const incarnation = await host.launch(launchSpec('starved', `${STARVED_AT_LOAD_ACTOR}?cpuMs=100&nice=10`, { intervalMs: 200, timeoutMs: 300 }), recorder().events);
    // The scene was what it claims: the thread (in all its life, most of it the spin) waited for a
    // core longer than the liveness timeout.
    expect(incarnation.schedStat()?.waitMs).toBeGreaterThan(300);
    await expect(incarnation.health()).resolves.toBeDefined();
  });

  it('lets a start finish that loads for longer than the liveness timeout while its thread answers pings', async () => {
    host = createWorkerHost({ spareWorkers: 0 });
    // The module waits three liveness timeouts at its top level; its thread keeps answering pings meanwhile.
    const incarnation = await host.launch(launchSpec('slow', `${SLOW_TO_LOAD_ACTOR}?ms=1500`, { intervalMs: 50, timeoutMs: 500 }), recorder().events);
    expect(incarnation.restoredSeq).toBe(0);
  });

  it('gives up on a start whose thread answers pings but never finishes, at the start limit', async () => {
    host = createWorkerHost({ spareWorkers: 0, startLimitMs: 600 });
    await expect(host.launch(launchSpec('never', NEVER_LOADS_ACTOR, { intervalMs: 50, timeoutMs: 300 }), recorder().events)).rejects.toMatchObject({ name: 'StartLimitError', actorId: 'never' });
  });

  it('rejects an actor module without a definition with a typed error', async () => {
    host = createWorkerHost({ spareWorkers: 0 });
    const notAnActor = new URL('../../../fixtures/test-topics.js', import.meta.url).href;
    await expect(host.launch(launchSpec('bad', notAnActor, { intervalMs: 1_000, timeoutMs: 5_000 }), recorder().events)).rejects.toMatchObject({ name: 'ActorDefinitionError' });
  });
});

describe('malformed messages from a worker', () => {
  it('are rejected with a typed error and counted, and the host keeps running', async () => {
    running = await startTestNode({ children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR }] });
    await running.node.request('a', 'test.emit-garbage', {}, { timeoutMs: 300 }).catch(() => undefined);
    await waitFor(() => (running!.node.bus.counters.malformed === 1 ? true : undefined));
    const logged = running.logs.find((line) => line.msg === 'malformed message dropped');
    expect((logged?.['err'] as { type: string }).type).toBe('ProtocolViolationError');
    // Still serving, never restarted.
    expect(await requestWhenServing(running.node, 'a', 'test.get', {})).toEqual({ count: 0 });
    const tree = running.node.tree();
    expect(tree.kind === 'supervisor' && tree.children[0]!.restarts).toBe(0);
  });

  it('a publish that cannot cross the thread boundary is dropped and counted; the thread keeps running', async () => {
    running = await startTestNode({ children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR }] });
    // Sent as a request, as test.emit-garbage is: the actor answers none, so the request times out unanswered.
    await running.node.request('a', 'test.emit-unclonable', {}, { timeoutMs: 300 }).catch(() => undefined);
    await waitFor(() => (running!.node.bus.counters.malformed === 1 ? true : undefined));
    const logged = running.logs.find((line) => line.msg === 'malformed message dropped');
    expect((logged?.['err'] as { message: string }).message).toMatch(/a publish on 'test.increment' could not cross to the host: RangeError/);
    expect(await requestWhenServing(running.node, 'a', 'test.get', {})).toEqual({ count: 0 });
    const tree = running.node.tree();
    expect(tree.kind === 'supervisor' && tree.children[0]!.restarts).toBe(0);
  });

  it('a payload published in the node that cannot cross to the thread is a dead letter, a request carrying one fails at once, and the rest of its batch arrives', async () => {
    running = await startTestNode({ children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR, subscribes: ['test.increment', 'test.opaque'] }] });
    const node = running.node;
    await requestWhenServing(node, 'a', 'test.get', {});
    // Published in one turn: one batch, the function (which no structured clone copies) in its middle.
    await Promise.all([
      node.publish('test.increment', { sender: 's', n: 1 }),
      node.publish('test.opaque', { value: () => 'not data' }),
      node.publish('test.increment', { sender: 's', n: 2 }),
    ]);
    await waitFor(async () => ((await node.request('a', 'test.get', {})) as { count: number }).count === 2 || undefined, 10_000, 'both increments counted');
    // Told at once, not at the request's deadline.
    await expect(node.request('a', 'test.opaque', { value: Symbol('not data') }, { timeoutMs: 60_000 })).rejects.toMatchObject({
      name: 'ActorReplyError',
      message: expect.stringMatching(/cannot cross to the actor's thread: DataCloneError/),
    });
    const db = openStore(join(running.dataDir, DATABASE_FILE_NAME));
    try {
      const letters = await waitFor(() => {
        const listed = createDeadLetterStore(db).list('a');
        return listed.length === 2 ? listed : undefined;
      });
      expect(letters.map((letter) => [letter.topic, letter.reason])).toEqual([
        ['test.opaque', expect.stringMatching(/^cannot cross to the actor's thread: DataCloneError/)],
        ['test.opaque', expect.stringMatching(/^cannot cross to the actor's thread: DataCloneError/)],
      ]);
    } finally {
      db.close();
    }
    // Nothing left in flight for the dropped ones, and no restart.
    await waitFor(() => {
      const tree = node.tree();
      return tree.kind === 'supervisor' && tree.children[0]?.kind === 'actor' && tree.children[0].mailbox.depth === 0 ? tree.children[0] : undefined;
    });
    const tree = node.tree();
    expect(tree.kind === 'supervisor' && tree.children[0]!.restarts).toBe(0);
  });

  it('delivers the rest of a batch that failed to cross whole, though each payload crosses alone (nested just under the clone limit)', async () => {
    running = await startTestNode({ children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR, subscribes: ['test.increment', 'test.opaque'] }] });
    const node = running.node;
    await requestWhenServing(node, 'a', 'test.get', {});
    // The deepest nesting a clone of the payload alone takes: inside the delivery columns it is two levels deeper.
    const nested = (depth: number) => {
      let value: unknown = 0;
      for (let level = 0; level < depth; level++) value = [value];
      return value;
    };
    let depth = 1_000;
    while (canClone(nested(depth * 2))) depth *= 2;
    let low = depth;
    let high = depth * 2;
    while (high - low > 1) {
      const middle = (low + high) >> 1;
      if (canClone(nested(middle))) low = middle;
      else high = middle;
    }
    // The limit depends on the stack in use where the clone runs: a range of depths around it, one
    // batch each, so that some batch clones alone but not whole whatever the stack at delivery.
    const depths = Array.from({ length: 24 }, (_, index) => low - 20 + index);
    for (const [round, depth] of depths.entries()) {
      await Promise.all([
        node.publish('test.increment', { sender: 's', n: 2 * round }),
        node.publish('test.opaque', { value: nested(depth - 1) }),
        node.publish('test.increment', { sender: 's', n: 2 * round + 1 }),
      ]);
    }
    const expected = 2 * depths.length;
    await waitFor(async () => ((await node.request('a', 'test.get', {})) as { count: number }).count === expected || undefined, 20_000, `all ${expected} increments counted`);
    const tree = node.tree();
    expect(tree.kind === 'supervisor' && tree.children[0]!.restarts).toBe(0);
  });

  it('a publish to an undeclared topic or with a bad payload is refused with a typed error', async () => {
    running = await startTestNode({ children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR }] });
    await expect(running.node.publish('no.such.topic', {})).rejects.toMatchObject({ name: 'UnknownTopicError' });
    await expect(running.node.publish('test.increment', { sender: 1 })).rejects.toMatchObject({ name: 'InvalidPayloadError', topic: 'test.increment' });
    await expect(running.node.request('nobody', 'test.get', {})).rejects.toMatchObject({ name: 'UnknownActorError' });
  });
});

function canClone(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
