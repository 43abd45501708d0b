/** At-least-once delivery with per-sender order, and state that survives crashes exactly. */
import { afterEach, describe, expect, it } from 'vitest';
import { COUNTER_ACTOR } from '../../../fixtures/fixture-paths.js';
import { requestWhenServing, startTestNode, waitFor, type TestNode } from '../../../helpers/test-node.js';
import type { ActorStatus, TreeNodeStatus } from '../../../../actors/runtime/ops/node-status.js';

let running: TestNode | undefined;
afterEach(async () => {
  await running?.cleanup();
  running = undefined;
});

const actorStatus = (tree: TreeNodeStatus, id: string) =>
  (tree.kind === 'supervisor' ? tree.children.find((child) => child.id === id) : undefined) as ActorStatus;

interface Processed {
  sender: string;
  n: number;
  count: number;
}

/**
 * Checks one sender's processing record: each message seen for the first time is the next one
 * (no loss, no reordering); a message seen again is a redelivery, which may only follow a crash.
 */
function checkSenderStream(stream: Processed[], total: number): { duplicates: number; rewinds: number } {
  let highest = -1;
  let duplicates = 0;
  let rewinds = 0;
  let previous = -1;
  for (const { n } of stream) {
    if (n > highest) {
      expect(n).toBe(highest + 1);
      highest = n;
    } else {
      duplicates++;
      if (n <= previous) rewinds++;
    }
    previous = n;
  }
  expect(highest).toBe(total - 1);
  return { duplicates, rewinds };
}

describe('delivery across crashes', () => {
  it('processes 10,000 messages from 4 senders with 20 crashes: none lost, order kept, exact final count', async () => {
    const TOTAL_PER_SENDER = 2_500;
    const SENDERS = ['s0', 's1', 's2', 's3'];
    const CRASHES = 20;
    running = await startTestNode({
      children: [{ kind: 'actor', id: 'counter', module: COUNTER_ACTOR, subscribes: ['test.increment'], options: { report: true } }],
      intensity: CRASHES + 5,
      config: { mailbox: { capacity: 20_000, inflightWindow: 256 } },
    });
    const node = running.node;
    const seen = new Map<string, Processed[]>(SENDERS.map((sender) => [sender, []]));
    node.subscribe('test.processed', (payload) => {
      const processed = payload as Processed;
      seen.get(processed.sender)!.push(processed);
    });

    let crashes = 0;
    const crashing = (async () => {
      while (crashes < CRASHES) {
        await new Promise((resolve) => setTimeout(resolve, 15 + Math.random() * 20));
        try {
          await node.crash('counter', crashes % 2 === 0 ? 'throw' : 'exit');
        } catch {
          continue; // between incarnations: try again once it is back
        }
        crashes++;
        // The next fault goes to the next incarnation, not to this one while it is dying.
        await waitFor(() => (actorStatus(node.tree(), 'counter').restarts === crashes ? true : undefined));
      }
    })();
    // Senders interleave, each in its own order, paced so the stream spans the crashes.
    for (let n = 0; n < TOTAL_PER_SENDER; n++) {
      for (const sender of SENDERS) void node.publishAs(sender, 'test.increment', { sender, n });
      if (n % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await crashing;
    const final = await waitFor(async () => {
      const reply = (await requestWhenServing(node, 'counter', 'test.get', {})) as { count: number };
      return reply.count === TOTAL_PER_SENDER * SENDERS.length ? reply : undefined;
    }, 30_000, 'all increments processed');
    expect(final.count).toBe(10_000);

    let duplicates = 0;
    for (const sender of SENDERS) {
      const stream = checkSenderStream(seen.get(sender)!, TOTAL_PER_SENDER);
      duplicates += stream.duplicates;
      // Each run of repeats starts right after a crash: never more runs than crashes.
      expect(stream.rewinds).toBeLessThanOrEqual(CRASHES);
    }
    // Only messages in flight at a crash are processed twice: at most one window per crash.
    expect(duplicates).toBeLessThanOrEqual(CRASHES * 256);
    expect(actorStatus(node.tree(), 'counter').restarts).toBe(CRASHES);
    // Nothing is left behind in the mailbox.
    await waitFor(() => (actorStatus(node.tree(), 'counter').mailbox.depth === 0 ? true : undefined));
  });

  it('resumes a counter from its persisted snapshot after a crash and after a node restart', async () => {
    running = await startTestNode({
      children: [{ kind: 'actor', id: 'counter', module: COUNTER_ACTOR, subscribes: ['test.increment'] }],
    });
    for (let n = 0; n < 300; n++) void running.node.publish('test.increment', { sender: 'a', n });
    await waitFor(async () => (((await running!.node.request('counter', 'test.get', {})) as { count: number }).count === 300 ? true : undefined));
    await running.node.crash('counter', 'exit');
    await waitFor(() => (actorStatus(running!.node.tree(), 'counter').restarts === 1 ? true : undefined));
    expect(await requestWhenServing(running.node, 'counter', 'test.get', {})).toEqual({ count: 300 });
    for (let n = 300; n < 500; n++) void running.node.publish('test.increment', { sender: 'a', n });
    await waitFor(async () => (((await running!.node.request('counter', 'test.get', {})) as { count: number }).count === 500 ? true : undefined));

    // A clean stop writes the last state; a new node on the same data dir restores it.
    const dataDir = running.dataDir;
    await running.node.stop();
    const again = await startTestNode({
      dataDir,
      children: [{ kind: 'actor', id: 'counter', module: COUNTER_ACTOR, subscribes: ['test.increment'] }],
    });
    try {
      expect(await again.node.request('counter', 'test.get', {})).toEqual({ count: 500 });
      expect(await again.node.snapshot('counter')).toMatchObject({ context: { count: 500 } });
    } finally {
      await again.cleanup();
    }
  });

  it('holds messages for a restarting actor and delivers them after the restart', async () => {
    running = await startTestNode({
      children: [{ kind: 'actor', id: 'counter', module: COUNTER_ACTOR, subscribes: ['test.increment'] }],
      config: { supervision: { backoff: { minMs: 300, maxMs: 300, jitter: 0 } } },
    });
    // Two crashes in a row: the second restart waits 300 ms, and messages sent meanwhile wait in the mailbox.
    await running.node.crash('counter', 'exit');
    await waitFor(() => (actorStatus(running!.node.tree(), 'counter').restarts === 1 && actorStatus(running!.node.tree(), 'counter').state === 'running' ? true : undefined));
    await running.node.crash('counter', 'exit');
    await waitFor(() => (actorStatus(running!.node.tree(), 'counter').state === 'restarting' ? true : undefined));
    for (let n = 0; n < 100; n++) void running.node.publish('test.increment', { sender: 'a', n });
    expect(actorStatus(running.node.tree(), 'counter').mailbox.depth).toBe(100);
    const reply = await waitFor(async () => {
      const value = (await requestWhenServing(running!.node, 'counter', 'test.get', {})) as { count: number };
      return value.count === 100 ? value : undefined;
    });
    expect(reply).toEqual({ count: 100 });
  });
});
