/**
 * The control socket's methods on a real node (actors inline, a real SQLite store, a real unix
 * socket), called as the CLI calls them: each answers from the node's API, checks the parameters
 * another process sent, and refuses what it cannot do with a named error.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callControl } from '../../../../cli/control-client.js';
import { nodeStatusSchema, type ActorStatus } from '../../../../actors/runtime/ops/node-status.js';
import { DEFAULT_POISON_LIMIT } from '../../../../actors/runtime/config/node-config.js';
import { VirtualClock } from '../../../../lib/timing/virtual-clock.js';
import { COUNTER_ACTOR } from '../../../fixtures/fixture-paths.js';
import { makeDataDir, requestWhenServing, startTestNode, waitFor, type TestNode, type TestNodeOptions } from '../../../helpers/test-node.js';

let running: TestNode | undefined;
afterEach(async () => {
  await running?.cleanup();
  if (running) rmSync(running.dataDir, { recursive: true, force: true });
  running = undefined;
});

async function startWithSocket(
  /** null: no handler, the node's own stop answers. */
  onStop: (() => void) | null = () => undefined,
  config: TestNodeOptions['config'] = {},
  clock?: VirtualClock,
): Promise<{ node: TestNode; socket: string }> {
  const dataDir = makeDataDir();
  const socket = join(dataDir, 'run', 'control.sock');
  running = await startTestNode({
    children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR, subscribes: ['test.increment'], host: 'inline' }],
    ops: { controlSocket: { path: socket, ...(onStop ? { onStop } : {}) } },
    dataDir,
    config,
    ...(clock ? { clock } : {}),
  });
  return { node: running, socket };
}

const actorA = async (socket: string): Promise<ActorStatus> => {
  const status = nodeStatusSchema.parse(await callControl(socket, 'status'));
  return status.tree.kind === 'supervisor' ? (status.tree.children[0] as ActorStatus) : status.tree;
};

describe('control methods', () => {
  it("answers status and an actor's snapshot, and restores the actor after a crash it injected", async () => {
    const { node, socket } = await startWithSocket();
    for (let n = 0; n < 3; n++) await node.node.publish('test.increment', { sender: 's', n });
    await waitFor(async () => (((await node.node.request('a', 'test.get', {})) as { count: number }).count === 3 ? true : undefined));
    expect(await actorA(socket)).toMatchObject({ id: 'a', host: 'inline', state: 'running', restarts: 0 });
    expect(await callControl(socket, 'snapshot', { actorId: 'a' })).toMatchObject({ context: { count: 3 } });

    expect(await callControl(socket, 'crash', { actorId: 'a', kind: 'throw' })).toEqual({ injected: 'throw', actorId: 'a' });
    await waitFor(async () => ((await actorA(socket)).restarts === 1 ? true : undefined), 10_000, 'the restart');
    expect(await requestWhenServing(node.node, 'a', 'test.get', {})).toEqual({ count: 3 });
  });

  it("injects chaos into the first actor outside the loop when no target is named, and lists the knowledge base's incidents", async () => {
    const { node, socket } = await startWithSocket();
    await node.node.publish('test.increment', { sender: 's', n: 0 });
    const injected = (await callControl(socket, 'chaos', { kind: 'crash-loop' })) as { faultId: number; kind: string; target: string; startedAt: number };
    expect(injected).toMatchObject({ kind: 'crash-loop', target: 'a' });
    expect(injected.faultId).toBeGreaterThan(0);
    // The poison message crashes the actor at every delivery until it is parked as a dead letter.
    await waitFor(async () => ((await actorA(socket)).restarts === DEFAULT_POISON_LIMIT ? true : undefined), 20_000, 'the poison message parked');
    expect(await requestWhenServing(node.node, 'a', 'test.get', {})).toEqual({ count: 1 });
    // No self-healing loop runs on this node: the knowledge base has the injection but no incident.
    expect(await callControl(socket, 'incidents', {})).toEqual([]);
    expect(await callControl(socket, 'incidents', { sinceMs: Date.now() })).toEqual([]);
  });

  it('answers status while an actor waits between incarnations (no machine state then)', async () => {
    // The node's timers run on a virtual clock: the first restart is immediate, the second waits
    // for its backoff until the test moves time on, so the actor stays in `restarting` meanwhile.
    const clock = new VirtualClock();
    const backoffMs = 5_000;
    const { node, socket } = await startWithSocket(undefined, { supervision: { backoff: { minMs: backoffMs, maxMs: backoffMs, jitter: 0 } } }, clock);
    await callControl(socket, 'crash', { actorId: 'a', kind: 'throw' });
    await waitFor(async () => ((await actorA(socket)).state === 'running' && (await actorA(socket)).restarts === 1 ? true : undefined), 10_000, 'the first restart');
    await callControl(socket, 'crash', { actorId: 'a', kind: 'throw' });
    const between = await waitFor(async () => {
      const actor = await actorA(socket);
      return actor.state === 'restarting' ? actor : undefined;
    }, 10_000, 'the actor restarting');
    expect(between.machineState).toBeUndefined();
    await clock.advanceAsync(backoffMs);
    await waitFor(async () => ((await actorA(socket)).state === 'running' ? true : undefined), 10_000, 'the second restart');
    expect(await node.node.request('a', 'test.get', {})).toEqual({ count: 0 });
  });

  it('checks the parameters another process sent, and names the methods it has', async () => {
    const { socket } = await startWithSocket();
    await expect(callControl(socket, 'snapshot', {})).rejects.toMatchObject({ name: 'ZodError' });
    await expect(callControl(socket, 'crash', { actorId: 'a', kind: 'meltdown' })).rejects.toMatchObject({ name: 'ZodError' });
    await expect(callControl(socket, 'chaos', { kind: 'crash-loop', target: 'a', extra: 1 })).rejects.toMatchObject({ name: 'ZodError' });
    await expect(callControl(socket, 'incidents', { sinceMs: -1 })).rejects.toMatchObject({ name: 'ZodError' });
    await expect(callControl(socket, 'crash', { actorId: 'nobody', kind: 'throw' })).rejects.toMatchObject({ name: 'UnknownActorError' });
    // Faults that would hit the host thread are refused for an inline actor.
    await expect(callControl(socket, 'crash', { actorId: 'a', kind: 'hang' })).rejects.toMatchObject({ name: 'UnsupportedFaultError' });
    // A ping request out of bounds; and, on a node that runs no peer link, one in bounds has no actor to go to.
    await expect(callControl(socket, 'mesh.ping', { to: 'spiffe://t/node/b', count: 0, intervalMs: 10, timeoutMs: 100 })).rejects.toMatchObject({ name: 'ZodError' });
    await expect(callControl(socket, 'mesh.ping', { to: 'spiffe://t/node/b', count: 1, intervalMs: 10, timeoutMs: 100 })).rejects.toMatchObject({ name: 'UnknownActorError' });
    // Mesh chaos: checked here (a peer is a SPIFFE ID, a share at most 1); a link fault needs the peer link this node does not run.
    await expect(callControl(socket, 'chaos.mesh', { kind: 'lossy-link', peer: 'spiffe://t/node/b', share: 2 })).rejects.toMatchObject({ name: 'ZodError' });
    await expect(callControl(socket, 'chaos.mesh', { kind: 'melt-link', peer: 'spiffe://t/node/b' })).rejects.toMatchObject({ name: 'ZodError' });
    await expect(callControl(socket, 'chaos.mesh', { kind: 'cut-link', peer: 'spiffe://t/node/b' })).rejects.toMatchObject({ name: 'UnknownActorError' });
    await expect(callControl(socket, 'reboot')).rejects.toThrow(/unknown control method 'reboot' \(status, snapshot, crash, chaos, chaos\.mesh, incidents, mesh\.ping, stop\)/);
    expect((await actorA(socket)).state).toBe('running');
  });

  it("stops the node itself when given no handler, and logs a stop that fails instead of leaving its rejection unhandled", async () => {
    const { node, socket } = await startWithSocket(null);
    const stop = node.node.stop.bind(node.node);
    let attempts = 0;
    // A stop that fails (a store that cannot be closed, say): unobserved, its rejection would end the process.
    node.node.stop = () => {
      attempts++;
      return Promise.reject(new Error('the store would not close'));
    };
    try {
      expect(await callControl(socket, 'stop')).toEqual({ stopping: true });
      const logged = await waitFor(() => node.logs.find((line) => line.msg === 'the node did not stop cleanly'), 5_000, 'the failed stop logged');
      expect((logged['err'] as { message: string }).message).toBe('the store would not close');
      expect(attempts).toBe(1);
    } finally {
      // The cleanup stops the node for real.
      node.node.stop = stop;
    }
  });

  it('answers stop before it stops, through the handler the node was given', async () => {
    let stops = 0;
    const { socket } = await startWithSocket(() => stops++);
    expect(await callControl(socket, 'stop')).toEqual({ stopping: true });
    await waitFor(() => (stops === 1 ? true : undefined), 5_000, 'the stop handler');
  });
});
