/**
 * The heap bound the node is launched with (actors/runtime/config/heap-flags.ts) bounds its actor
 * threads too: in a node process started with a lower old-generation limit, an actor that leaks
 * (the injected memory leak, 64 MiB/s) ends out of memory and its supervisor restarts it, while the
 * process serves on. Without the bound on the worker the leak would run on for two minutes and the
 * restart this test waits for would not come.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callControl } from '../../cli/control-client.js';
import { actorStatus } from '../helpers/mesh-node.js';
import { reapAll, startProcess, TEST_NODE_MAIN } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

/** Low enough for the leak to reach within a second or two, high enough for the main thread of a small node (about 30 MiB). */
const TEST_OLD_GENERATION_MIB = 96;

let dataDir: string | undefined;
afterEach(async () => {
  await reapAll();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe("an actor thread past the node's heap bound", () => {
  it('ends out of memory and is restarted by its supervisor; the process serves on', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-heap-bound-'));
    // The last of a repeated V8 flag wins: this one lowers the bound the helper launches every node with.
    const node = startProcess([`--max-old-space-size=${TEST_OLD_GENERATION_MIB}`, TEST_NODE_MAIN, JSON.stringify({ dataDir, actors: [{ id: 'c' }] })]);
    await node.waitForOutput('"msg":"ready"');
    await callControl(join(dataDir, 'control.sock'), 'chaos', { kind: 'memory-leak', target: 'c' });

    const restarted = await untilValue('the leaking actor restarted', async () => {
      const actor = await actorStatus(dataDir!, 'c');
      return actor.restarts >= 1 && actor.state === 'running' ? actor : undefined;
    }, 60_000);
    expect(restarted.restarts).toBeGreaterThanOrEqual(1);
    expect(node.output().split('\n').some((line) => line.includes('"msg":"child exited"') && line.includes('reaching memory limit'))).toBe(true);
    expect(node.child.exitCode).toBeNull();
    // Serving: the control socket answers for the restarted actor.
    expect(await callControl(join(dataDir, 'control.sock'), 'snapshot', { actorId: 'c' })).toBeDefined();
  });
});
