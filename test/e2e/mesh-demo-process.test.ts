/**
 * `x0tta6bl4 mesh demo --nodes 3`: three real node processes on loopback in one embedded trust
 * domain; each serves, knows the other two and routes to them, and `mesh ping` crosses the demo's
 * mesh; Ctrl-C (SIGINT) stops every node and removes the directories.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { meshOf } from '../helpers/mesh-node.js';
import { CLI_MAIN, reapAll, startProcess } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

const roots: string[] = [];
afterEach(async () => {
  await reapAll();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('x0tta6bl4 mesh demo', () => {
  it('starts a mesh of node processes that route to each other, and stops and removes it all on Ctrl-C', async () => {
    const root = mkdtempSync(join(tmpdir(), 'x0tta6bl4-demo-test-'));
    roots.push(root);
    const dir = join(root, 'demo');
    const demo = startProcess([CLI_MAIN, 'mesh', 'demo', '--nodes', '3', '--dir', dir]);
    for (const index of [0, 1, 2]) await demo.waitForOutput(`mesh demo: n${index} serving`, 120_000);
    expect(demo.output()).toContain(`control socket ${join(dir, 'n0', 'control.sock')}`);
    const ids = [0, 1, 2].map((index) => `spiffe://mesh.demo/node/n${index}`);
    const mesh = await untilValue(
      'n0 to know and route to the other two',
      async () => {
        const state = await meshOf(join(dir, 'n0')).catch(() => undefined);
        const alive = state?.membership.members.filter((member) => member.state === 'alive').length ?? 0;
        return state && alive === 2 && state.routing.routes.length === 2 ? state : undefined;
      },
      60_000,
      200,
    );
    expect(mesh.routing.routes.map((route) => route.destination).sort()).toEqual(ids.slice(1));
    const ping = startProcess([CLI_MAIN, 'mesh', 'ping', ids[2]!, '--count', '1', '--data-dir', join(dir, 'n0')]);
    expect(await ping.exited).toBe(0);
    expect(ping.output()).toContain(`pong from ${ids[2]}`);

    demo.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toContain('mesh demo: stopped');
    expect(existsSync(dir)).toBe(false);
  }, 240_000);
});
