/**
 * Every actor thread runs under a heap bound (supervision.threadHeap), as an Erlang process under
 * max_heap_size: a thread that leaks past it ends, and its supervisor restarts it like any crash,
 * so one runaway actor cannot take the node's memory. Without the bound the injected leak (64 MiB/s
 * for up to two minutes) would run on and the test would time out waiting for the restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { COUNTER_ACTOR } from '../../../fixtures/fixture-paths.js';
import { requestWhenServing, startTestNode, waitFor, type TestNode } from '../../../helpers/test-node.js';

describe('an actor thread past its heap bound', () => {
  let test: TestNode | undefined;
  afterEach(async () => {
    await test?.cleanup();
    test = undefined;
  });

  it('ends out of memory, is restarted by its supervisor with its state, and serves', async () => {
    test = await startTestNode({
      config: { supervision: { threadHeap: { maxOldGenerationMiB: 64 } } },
      children: [{ kind: 'actor', id: 'c', module: COUNTER_ACTOR, subscribes: ['test.increment'] }],
    });
    const node = test.node;
    for (let n = 1; n <= 5; n++) await node.publish('test.increment', { sender: 's', n });
    expect(await requestWhenServing(node, 'c', 'test.get', {})).toMatchObject({ count: 5 });

    await node.chaos('memory-leak', 'c');
    const exited = await waitFor(() => test!.logs.find((line) => line.msg === 'child exited' && line['actor'] === 'c'), 30_000, "the leaking thread's exit");
    expect(String(exited['reason'])).toMatch(/memory limit/);
    await waitFor(() => {
      const tree = node.tree();
      return tree.kind === 'supervisor' && tree.children[0]!.restarts >= 1 ? true : undefined;
    }, 30_000, 'the restart');
    expect(await requestWhenServing(node, 'c', 'test.get', {}, 30_000)).toMatchObject({ count: 5 });
  });
});
