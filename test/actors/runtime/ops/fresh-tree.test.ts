/** tree() shows each actor's current machine state without anyone calling status(): the host reports every change. */
import { afterEach, describe, expect, it } from 'vitest';
import { PARITY_ACTOR } from '../../../fixtures/fixture-paths.js';
import { startTestNode, type TestNode } from '../../../helpers/test-node.js';
import { until } from '../../../helpers/wait.js';
import type { ActorStatus } from '../../../../actors/runtime/ops/node-status.js';

let running: TestNode | undefined;
afterEach(async () => {
  await running?.cleanup();
  running = undefined;
});

describe.each(['inline', 'worker'] as const)('tree() on the %s host', (host) => {
  it('follows the machine state as it changes, and shows the restored state after a restart', async () => {
    running = await startTestNode({ children: [{ kind: 'actor', id: 'p', module: PARITY_ACTOR, subscribes: ['test.increment'], host }] });
    const { node } = running;
    const actor = () => (node.tree() as { children: ActorStatus[] }).children[0]!;
    await until('the initial state in the tree', () => actor().machineState === 'even');
    await node.publish('test.increment', { sender: 's', n: 1 });
    await until('odd in the tree', () => actor().machineState === 'odd');
    await node.publish('test.increment', { sender: 's', n: 2 });
    await until('even again in the tree', () => actor().machineState === 'even');
    expect(actor().machineState).toBe('even');
    // status() reads the same tree: no probe of its own.
    expect(((await node.status()).tree as { children: ActorStatus[] }).children[0]!.machineState).toBe('even');

    await node.publish('test.increment', { sender: 's', n: 3 });
    await until('odd before the crash', () => actor().machineState === 'odd');
    await node.crash('p', 'throw');
    await until('the restart', () => actor().restarts === 1 && actor().state === 'running');
    // The restored snapshot's state, reported by the new incarnation.
    await until('the restored state in the tree', () => actor().machineState === 'odd');
  });
});
