/** Supervision with OTP semantics, on real worker threads and a real store. */
import { afterEach, describe, expect, it } from 'vitest';
import type { ActorChildSpec, ChildSpec, Strategy } from '../../../../actors/runtime/contracts/supervision-spec.js';
import type { ActorStatus, SupervisorStatus, TreeNodeStatus } from '../../../../actors/runtime/ops/node-status.js';
import { join } from 'node:path';
import { COUNTER_ACTOR, EXIT_ON_RESTART_ACTOR } from '../../../fixtures/fixture-paths.js';
import { makeDataDir, requestWhenServing, startTestNode, waitFor, type TestNode } from '../../../helpers/test-node.js';
import { rmSync } from 'node:fs';
import { treeNodes } from '../../../../actors/runtime/supervision/tree-walk.js';

const counter = (id: string, extra: Partial<ActorChildSpec> = {}): ActorChildSpec => ({
  kind: 'actor',
  id,
  module: COUNTER_ACTOR,
  subscribes: ['test.increment'],
  ...extra,
});

function find(tree: TreeNodeStatus, id: string): TreeNodeStatus {
  const found = [...treeNodes(tree)].find((node) => node.id === id);
  if (!found) throw new Error(`no ${id} in tree`);
  return found;
}

const restartsOf = (running: TestNode, id: string) => (find(running.node.tree(), id) as ActorStatus | SupervisorStatus).restarts;

/** The lifecycle log lines of actors since index `from`: ['stop c', 'start b', …]. */
function lifecycle(running: TestNode, from: number): string[] {
  return running.logs
    .slice(from)
    .filter((line) => line.msg === 'child started' || line.msg === 'child stopped')
    .map((line) => `${line.msg === 'child started' ? 'start' : 'stop'} ${String(line['actor'])}`);
}

let running: TestNode | undefined;
afterEach(async () => {
  await running?.cleanup();
  running = undefined;
});

async function crashAndSettle(strategy: Strategy, victim: string): Promise<{ events: string[]; restarts: Record<string, number> }> {
  running = await startTestNode({ strategy, children: [counter('a'), counter('b'), counter('c')] });
  const from = running.logs.length;
  await running.node.crash(victim, 'throw');
  await waitFor(() => (running!.logs.slice(from).some((line) => line.msg === 'restarting') ? true : undefined));
  await waitFor(() => (['a', 'b', 'c'].every((id) => (find(running!.node.tree(), id) as ActorStatus).state === 'running') ? true : undefined));
  // Let the restart sequence finish before reading it.
  for (const id of ['a', 'b', 'c']) await requestWhenServing(running.node, id, 'test.get', {});
  return {
    events: lifecycle(running, from),
    restarts: Object.fromEntries(['a', 'b', 'c'].map((id) => [id, restartsOf(running!, id)])),
  };
}

describe('restart strategies', () => {
  it('one_for_one restarts only the crashed child', async () => {
    const { events, restarts } = await crashAndSettle('one_for_one', 'b');
    expect(events).toEqual(['start b']);
    expect(restarts).toEqual({ a: 0, b: 1, c: 0 });
  });

  it('one_for_all stops the others in reverse order, then starts all in order', async () => {
    const { events, restarts } = await crashAndSettle('one_for_all', 'b');
    expect(events).toEqual(['stop c', 'stop a', 'start a', 'start b', 'start c']);
    expect(restarts).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('rest_for_one restarts the crashed child and those started after it', async () => {
    const { events, restarts } = await crashAndSettle('rest_for_one', 'b');
    expect(events).toEqual(['stop c', 'start b', 'start c']);
    expect(restarts).toEqual({ a: 0, b: 1, c: 1 });
  });

  it('restarts the first child of rest_for_one with all the others', async () => {
    const { events } = await crashAndSettle('rest_for_one', 'a');
    expect(events).toEqual(['stop c', 'stop b', 'start a', 'start b', 'start c']);
  });
});

describe('threads across restarts', () => {
  it('reuses the threads of cleanly stopped siblings in a group restart, never the crashed one', async () => {
    running = await startTestNode({ strategy: 'one_for_all', children: [counter('a'), counter('b'), counter('c')] });
    const node = running.node;
    const before = Object.fromEntries(await Promise.all(['a', 'b', 'c'].map(async (id) => [id, (await node.health(id)).threadId] as const)));
    await node.crash('b', 'exit');
    await waitFor(() => (['a', 'b', 'c'].every((id) => restartsOf(running!, id) === 1 && (find(node.tree(), id) as ActorStatus).state === 'running') ? true : undefined));
    const after = await Promise.all(['a', 'b', 'c'].map(async (id) => (await node.health(id)).threadId));
    expect(after).not.toContain(before['b']);
    // a's and c's threads stopped their actors cleanly and serve the restarted group.
    expect(after.filter((id) => id === before['a'] || id === before['c'])).toHaveLength(2);
    for (const id of ['a', 'b', 'c']) expect(await node.request(id, 'test.get', {})).toEqual({ count: 0 });
  });
});

describe('restart types', () => {
  it('does not restart a temporary child, and restarts a transient one only after an abnormal exit', async () => {
    running = await startTestNode({
      children: [counter('temp', { restart: 'temporary' }), counter('trans', { restart: 'transient' }), counter('perm')],
    });
    await running.node.crash('temp', 'exit');
    await running.node.request('trans', 'test.finish', {}, { timeoutMs: 200 }).catch(() => undefined);
    await running.node.crash('perm', 'exit');
    await waitFor(() => ((find(running!.node.tree(), 'perm') as ActorStatus).restarts === 1 ? true : undefined));
    await waitFor(() => ((find(running!.node.tree(), 'temp') as ActorStatus).state === 'stopped' ? true : undefined));
    await waitFor(() => ((find(running!.node.tree(), 'trans') as ActorStatus).state === 'stopped' ? true : undefined));
    expect(restartsOf(running, 'temp')).toBe(0);
    expect(restartsOf(running, 'trans')).toBe(0);

    // A transient child that crashes (abnormal exit) is restarted.
    await running.cleanup();
    running = await startTestNode({ children: [counter('trans', { restart: 'transient' })] });
    await running.node.crash('trans', 'throw');
    await waitFor(() => (restartsOf(running!, 'trans') === 1 ? true : undefined));
    await requestWhenServing(running.node, 'trans', 'test.get', {});
  });

  it('replaces a hung worker once it misses its liveness deadline, with its state restored', async () => {
    running = await startTestNode({
      children: [counter('a')],
      config: { supervision: { livenessIntervalMs: 50, livenessTimeoutMs: 250 } },
    });
    for (let n = 0; n < 20; n++) void running.node.publish('test.increment', { sender: 's', n });
    await waitFor(async () => (((await running!.node.request('a', 'test.get', {})) as { count: number }).count === 20 ? true : undefined));
    await running.node.crash('a', 'hang');
    await waitFor(() => (restartsOf(running!, 'a') === 1 ? true : undefined));
    expect(await requestWhenServing(running.node, 'a', 'test.get', {})).toEqual({ count: 20 });
    const exit = running.logs.find((line) => line.msg === 'child exited');
    expect((exit?.['err'] as { type: string }).type).toBe('LivenessTimeoutError');
  });

  it('treats a failure inside the machine as a crash', async () => {
    running = await startTestNode({ children: [counter('a')] });
    await running.node.publish('test.increment', { sender: 's', n: 1 });
    await waitFor(async () => ((await running!.node.request('a', 'test.get', {})) as { count: number }).count === 1 || undefined);
    await expect(running.node.request('a', 'test.fail', { message: 'on purpose' }, { timeoutMs: 300 })).rejects.toMatchObject({
      name: 'RequestTimeoutError',
    });
    await waitFor(() => (restartsOf(running!, 'a') >= 1 ? true : undefined));
    const crash = running.logs.find((line) => line.msg === 'child exited');
    expect(String(crash?.['reason'])).toContain('told to fail: on purpose');
  });
});

describe('restart intensity', () => {
  it('escalates to the parent when a supervisor exceeds its intensity, and the parent restarts it', async () => {
    const group: ChildSpec = { kind: 'supervisor', id: 'group', strategy: 'one_for_one', intensity: 2, periodMs: 60_000, children: [counter('a')] };
    running = await startTestNode({ children: [group, counter('bystander')], intensity: 5 });
    for (let crash = 1; crash <= 3; crash++) {
      await requestWhenServing(running.node, 'a', 'test.get', {});
      await running.node.crash('a', 'exit');
      if (crash < 3) await waitFor(() => (restartsOf(running!, 'a') === crash ? true : undefined));
    }
    // The third crash within the period exceeds intensity 2: the group gives up, the root restarts it.
    await waitFor(() => (restartsOf(running!, 'group') === 1 ? true : undefined));
    const gaveUp = running.logs.find((line) => line.msg === 'supervisor gave up');
    expect(gaveUp?.['supervisor']).toBe('group');
    expect((gaveUp?.['err'] as { type: string }).type).toBe('IntensityExceededError');
    await requestWhenServing(running.node, 'a', 'test.get', {});
    expect(restartsOf(running, 'bystander')).toBe(0);
  });

  it('reports the root giving up to onFatal', async () => {
    const fatal: Error[] = [];
    running = await startTestNode({ children: [counter('a')], intensity: 0, onFatal: (error) => fatal.push(error) });
    await running.node.crash('a', 'throw');
    await waitFor(() => fatal[0]);
    expect(fatal[0]!.name).toBe('IntensityExceededError');
    expect(fatal[0]!.message).toContain("supervisor 'root'");
  });

  it('counts a thread that dies while restarting as another crash, up to the intensity', async () => {
    const fatal: Error[] = [];
    const dataDir = makeDataDir();
    running = await startTestNode({
      dataDir,
      children: [counter('dies', { module: EXIT_ON_RESTART_ACTOR, options: { marker: join(dataDir, 'marker') } })],
      intensity: 3,
      onFatal: (error) => fatal.push(error),
    });
    await running.node.crash('dies', 'throw');
    await waitFor(() => fatal[0]);
    expect(fatal[0]!.name).toBe('IntensityExceededError');
    expect(fatal[0]!.message).toContain('restart failed');
    expect(running.logs.filter((line) => line.msg === 'child exited')).toHaveLength(4);
    await running.cleanup();
    running = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('backs off between restarts within the period', async () => {
    running = await startTestNode({
      children: [counter('a')],
      intensity: 10,
      config: { supervision: { backoff: { minMs: 50, maxMs: 400, jitter: 0 } } },
    });
    const from = running.logs.length;
    for (let crash = 1; crash <= 3; crash++) {
      await requestWhenServing(running.node, 'a', 'test.get', {});
      await running.node.crash('a', 'exit');
      await waitFor(() => (restartsOf(running!, 'a') === crash ? true : undefined));
    }
    const delays = running.logs.slice(from).filter((line) => line.msg === 'restarting').map((line) => line['delayMs']);
    expect(delays).toEqual([0, 50, 100]);
  });
});
