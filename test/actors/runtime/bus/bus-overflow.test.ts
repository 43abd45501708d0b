/** Overflow policies per topic, and backpressure, on real mailboxes of real worker actors. */
import { afterEach, describe, expect, it } from 'vitest';
import { COUNTER_ACTOR, PRESSURE_RELAY_ACTOR } from '../../../fixtures/fixture-paths.js';
import { requestWhenServing, startTestNode, waitFor, type TestNode } from '../../../helpers/test-node.js';
import { until } from '../../../helpers/wait.js';
import type { ActorStatus, TreeNodeStatus } from '../../../../actors/runtime/ops/node-status.js';

let running: TestNode | undefined;
afterEach(async () => {
  await running?.cleanup();
  running = undefined;
});

const mailboxOf = (tree: TreeNodeStatus, id: string) =>
  ((tree.kind === 'supervisor' ? tree.children.find((child) => child.id === id) : undefined) as ActorStatus).mailbox;

const actorOf = (tree: TreeNodeStatus, id: string) =>
  (tree.kind === 'supervisor' ? tree.children.find((child) => child.id === id) : undefined) as ActorStatus;

/** Two crashes in a row: the second restart waits out the backoff, so the actor's mailbox only fills. */
async function stall(node: TestNode['node'], id: string) {
  await node.crash(id, 'exit');
  await waitFor(() => (actorOf(node.tree(), id).restarts === 1 ? true : undefined));
  await requestWhenServing(node, id, 'test.get', {});
  await node.crash(id, 'exit');
  await waitFor(() => (actorOf(node.tree(), id).state === 'restarting' ? true : undefined));
}

/** An actor that is not running (restarting after a slow backoff) keeps everything in its mailbox. */
async function stalledActor(subscribes: string[]) {
  running = await startTestNode({
    children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR, subscribes }],
    config: { mailbox: { capacity: 5, inflightWindow: 5 }, supervision: { backoff: { minMs: 600, maxMs: 600, jitter: 0 } } },
  });
  await stall(running.node, 'a');
  return running;
}

describe('overflow policies', () => {
  it('reject: a publish to a full mailbox fails with MailboxFullError and is counted', async () => {
    const { node } = await stalledActor(['test.reject']);
    for (let n = 0; n < 5; n++) await node.publish('test.reject', { n });
    await expect(node.publish('test.reject', { n: 5 })).rejects.toMatchObject({ name: 'MailboxFullError', actorId: 'a', capacity: 5 });
    expect(mailboxOf(node.tree(), 'a')).toMatchObject({ depth: 5, rejected: 1 });
  });

  it('drop-oldest: the oldest waiting message goes, the newest stays, and the drop is counted', async () => {
    const { node } = await stalledActor(['test.drop']);
    for (let n = 0; n < 8; n++) await node.publish('test.drop', { n });
    expect(mailboxOf(node.tree(), 'a')).toMatchObject({ depth: 5, dropped: 3 });
    expect(node.bus.counters.dropped).toBe(3);
  });

  it('block: the sender waits until the mailbox has room, and its order is kept', async () => {
    const { node } = await stalledActor(['test.increment']);
    const settled: number[] = [];
    const sends = Array.from({ length: 9 }, (_, n) => node.publishAs('s', 'test.increment', { sender: 's', n }).then(() => settled.push(n)));
    // Five fit and settle; the sixth blocks, and the three after it queue behind it. The mailbox
    // stays full until the restart, so once the five have settled the sixth is still waiting.
    await until('the five sends that fit to settle', () => settled.length >= 5);
    expect(settled).toEqual([0, 1, 2, 3, 4]);
    expect(mailboxOf(node.tree(), 'a')).toMatchObject({ depth: 5, blocked: 1 });
    // The blocked sixth and the three behind it: what the host holds for this sender.
    expect(node.bus.counters.heldMax).toBe(4);
    expect(actorOf(node.tree(), 'a').state).toBe('restarting');
    await Promise.all(sends);
    expect(settled).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const reply = await waitFor(async () => {
      const value = (await node.request('a', 'test.get', {})) as { count: number };
      return value.count === 9 ? value : undefined;
    });
    expect(reply.count).toBe(9);
  });
});

describe('backpressure between actors', () => {
  it('pauses an actor whose destination blocks, and loses nothing once it drains', async () => {
    running = await startTestNode({
      children: [
        { kind: 'actor', id: 'relay', module: COUNTER_ACTOR, subscribes: ['test.relay'] },
        { kind: 'actor', id: 'sink', module: COUNTER_ACTOR, subscribes: ['test.increment'], options: { report: true } },
      ],
      config: { mailbox: { capacity: 8, inflightWindow: 4 }, supervision: { backoff: { minMs: 600, maxMs: 600, jitter: 0 } } },
    });
    const { node } = running;
    const seen: number[] = [];
    node.subscribe('test.processed', (payload) => seen.push((payload as { n: number }).n));
    await stall(node, 'sink');
    const sends = Array.from({ length: 40 }, (_, n) => node.publish('test.relay', { sender: 'r', n }));
    // The sink is full and blocks the relay, whose own mailbox then fills and blocks this sender.
    // The relay's forwards reach the sink only as its thread gets to them: wait until one meets the full sink.
    await until('a forward of the relay blocked by the full sink', () => mailboxOf(node.tree(), 'sink').blocked > 0);
    expect(mailboxOf(node.tree(), 'sink')).toMatchObject({ depth: 8 });
    expect(mailboxOf(node.tree(), 'sink').blocked).toBeGreaterThan(0);
    expect(actorOf(node.tree(), 'sink').state).toBe('restarting');
    await Promise.all(sends);
    await waitFor(() => (seen.length >= 40 ? true : undefined), 20_000, 'all relayed messages processed');
    expect(seen).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(await node.request('sink', 'test.get', {})).toEqual({ count: 40 });
  });

  it("tells a held-back actor's I/O, on its own thread, that the bus holds it, and when it lets go", async () => {
    running = await startTestNode({
      children: [
        { kind: 'actor', id: 'relay', module: PRESSURE_RELAY_ACTOR, subscribes: ['test.relay'] },
        { kind: 'actor', id: 'sink', module: COUNTER_ACTOR, subscribes: ['test.increment'] },
      ],
      config: { mailbox: { capacity: 8, inflightWindow: 4 }, supervision: { backoff: { minMs: 600, maxMs: 600, jitter: 0 } } },
    });
    const { node } = running;
    await requestWhenServing(node, 'relay', 'test.get', {});
    await stall(node, 'sink');
    const sends = Array.from({ length: 12 }, (_, n) => node.publish('test.relay', { sender: 'r', n }));
    const changesOf = async () => ((await requestWhenServing(node, 'relay', 'test.get', {})) as { changes: boolean[] }).changes;
    // Its forwards fill the stalled sink: the bus pauses the relay, and its I/O hears of it.
    await until('a forward of the relay blocked by the stalled sink', () => mailboxOf(node.tree(), 'sink').blocked > 0);
    await Promise.all(sends);
    // The sink restarted and drained: the relay is let go, and answers again.
    await waitFor(async () => ((await changesOf()).length === 2 ? true : undefined), 20_000, 'the relay told it is held, then let go');
    expect(await changesOf()).toEqual([true, false]);
    // The sink may still be working through the last forwards (its mailbox full, a request refused): until it counted all.
    await waitFor(async () => ((await requestWhenServing(node, 'sink', 'test.get', {})) as { count: number }).count === 12 || undefined, 20_000, 'the sink to count all 12');
  });
});

describe('production mode', () => {
  it('refuses fault injection', async () => {
    running = await startTestNode({ children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR }], config: { production: true, identity: { agentSocket: 'unix:///run/spire/agent.sock' } } });
    await expect(running.node.crash('a', 'throw')).rejects.toMatchObject({ name: 'ProductionModeError' });
  });
});
