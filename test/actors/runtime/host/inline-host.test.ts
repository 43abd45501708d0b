/** The same actor definition on the inline host: delivery, replies, crash and restore. */
import { afterEach, describe, expect, it } from 'vitest';
import { COUNTER_ACTOR } from '../../../fixtures/fixture-paths.js';
import { requestWhenServing, startTestNode, waitFor, type TestNode } from '../../../helpers/test-node.js';
import type { ActorStatus } from '../../../../actors/runtime/ops/node-status.js';

let running: TestNode | undefined;
afterEach(async () => {
  await running?.cleanup();
  running = undefined;
});

describe('inline host', () => {
  it('runs the counter in this thread, restores it after a crash, and refuses to hang the host', async () => {
    running = await startTestNode({
      children: [{ kind: 'actor', id: 'a', module: COUNTER_ACTOR, subscribes: ['test.increment'], host: 'inline' }],
    });
    const status = () => (running!.node.tree() as { children: ActorStatus[] }).children[0]!;
    expect(status().host).toBe('inline');
    for (let n = 0; n < 50; n++) void running.node.publish('test.increment', { sender: 's', n });
    await waitFor(async () => (((await running!.node.request('a', 'test.get', {})) as { count: number }).count === 50 ? true : undefined));
    await running.node.crash('a', 'throw');
    await waitFor(() => (status().restarts === 1 ? true : undefined));
    expect(await requestWhenServing(running.node, 'a', 'test.get', {})).toEqual({ count: 50 });
    await expect(running.node.crash('a', 'hang')).rejects.toMatchObject({ name: 'UnsupportedFaultError' });
  });

  it('is chosen per actor by configuration', async () => {
    running = await startTestNode({
      children: [
        { kind: 'actor', id: 'a', module: COUNTER_ACTOR },
        { kind: 'actor', id: 'b', module: COUNTER_ACTOR },
      ],
      config: { host: 'inline', actorHosts: { b: 'worker' } },
    });
    const hosts = (running.node.tree() as { children: ActorStatus[] }).children.map((child) => child.host);
    expect(hosts).toEqual(['inline', 'worker']);
  });
});
