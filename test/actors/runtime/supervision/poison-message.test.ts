/**
 * The runtime's net under the self-healing loop: a message that crashes its actor again and again
 * is parked as a dead letter after `mailbox.poisonLimit` crashes, below the supervision intensity,
 * so it cannot take the subtree down even with no loop running; the actor goes on serving.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE_NAME } from '../../../../actors/runtime/node.js';
import { createDeadLetterStore } from '../../../../store/dead-letters.js';
import { openStore } from '../../../../store/open-store.js';
import { COUNTER_ACTOR } from '../../../fixtures/fixture-paths.js';
import { requestWhenServing, startTestNode, waitFor, type TestNode } from '../../../helpers/test-node.js';

describe('a poison message with no self-healing loop', () => {
  let test: TestNode | undefined;
  afterEach(async () => {
    await test?.cleanup();
    test = undefined;
  });

  it('is parked after poisonLimit crashes; the actor keeps its state and serves, the tree stays up', async () => {
    test = await startTestNode({
      intensity: 5,
      config: { mailbox: { poisonLimit: 3 } },
      children: [{ kind: 'actor', id: 'c', module: COUNTER_ACTOR, subscribes: ['test.increment'] }],
    });
    const node = test.node;
    for (let n = 1; n <= 5; n++) await node.publish('test.increment', { sender: 's', n });
    await node.chaos('crash-loop', 'c');
    for (let n = 6; n <= 8; n++) await node.publish('test.increment', { sender: 's', n });

    const db = openStore(join(test.dataDir, DATABASE_FILE_NAME));
    try {
      const parked = await waitFor(() => createDeadLetterStore(db).list('c')[0], 10_000, 'a parked message');
      expect(parked).toMatchObject({ topic: 'chaos.poison', sender: 'chaos', reason: 'poison: crashed the actor 3 times' });
    } finally {
      db.close();
    }
    expect(await requestWhenServing(node, 'c', 'test.get', {})).toMatchObject({ count: 8 });
    const tree = node.tree();
    expect(tree.kind === 'supervisor' && tree.children[0]!.restarts).toBe(3);
    expect(test.logs.some((line) => line.msg === 'messages moved to dead letters')).toBe(true);
  });
});
