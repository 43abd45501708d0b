/**
 * `x0tta6bl4 status` and `x0tta6bl4 chaos` run in this process against a real node (actors inline,
 * its control socket where the configuration puts it by default), as an operator runs them from a
 * shell on the same data directory; the process runs are in test/e2e/.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusCommand } from '../../cli/status-command.js';
import { chaosCommand } from '../../cli/chaos-command.js';
import { CONTROL_SOCKET_FILE_NAME } from '../../actors/runtime/config/node-config.js';
import { nodeStatusSchema } from '../../actors/runtime/ops/node-status.js';
import { COUNTER_ACTOR } from '../fixtures/fixture-paths.js';
import { makeDataDir, startTestNode, waitFor, type TestNode } from '../helpers/test-node.js';
import { capturingOutput } from '../helpers/captured-output.js';

let running: TestNode | undefined;
afterEach(async () => {
  await running?.cleanup();
  if (running) rmSync(running.dataDir, { recursive: true, force: true });
  running = undefined;
});

async function startNode(): Promise<TestNode> {
  const dataDir = makeDataDir();
  running = await startTestNode({
    dataDir,
    children: [{ kind: 'actor', id: 'worker-a', module: COUNTER_ACTOR, host: 'inline' }],
    ops: { controlSocket: { path: join(dataDir, CONTROL_SOCKET_FILE_NAME) } },
  });
  return running;
}

describe('x0tta6bl4 status and chaos, in process', () => {
  it("prints the running node's tree as text, or as JSON that the status schema accepts", async () => {
    const { dataDir } = await startNode();
    const text = await capturingOutput(() => statusCommand({ dataDir }));
    expect(text.stdout).toMatch(/^node .+ \(development\)  run .+\n/);
    expect(text.stdout).toContain('worker-a');
    const json = await capturingOutput(() => statusCommand({ dataDir, json: true }));
    const status = nodeStatusSchema.parse(JSON.parse(json.stdout));
    expect(status.production).toBe(false);
    expect(status.tree).toMatchObject({ kind: 'supervisor', children: [{ id: 'worker-a', host: 'inline', state: 'running' }] });
  });

  it('injects a fault into the actor named, or the first outside the loop, and says how to follow it', async () => {
    const { dataDir, node } = await startNode();
    const named = await capturingOutput(() => chaosCommand('crash-loop', { dataDir, target: 'worker-a', json: true }));
    expect(JSON.parse(named.stdout)).toMatchObject({ kind: 'crash-loop', target: 'worker-a' });
    await waitFor(() => ((node.tree() as { children: Array<{ restarts: number }> }).children[0]!.restarts > 0 ? true : undefined), 10_000, 'the first crash');
    const text = await capturingOutput(() => chaosCommand('crash-loop', { dataDir }));
    expect(text.stdout).toMatch(/^injected crash-loop into 'worker-a' at \S+ \(fault #\d+\); follow it with: x0tta6bl4 incidents\n$/);
  });

  it('says no node runs on a data directory without one', async () => {
    const dataDir = makeDataDir();
    try {
      await expect(statusCommand({ dataDir })).rejects.toMatchObject({ name: 'ControlError', reason: 'not_running' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
