/**
 * `x0tta6bl4 mesh demo`'s links: a ring (each node dials the next), with a chord across from every
 * third node once there are six or more, never a node dialing itself or a pair dialing each other
 * twice, and every node reachable from every other. In this process (so that its lines are measured),
 * the demo refuses what it cannot do, and starts, reports and stops two real node processes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callControl } from '../../cli/control-client.js';
import { demoLinks, MAX_DEMO_NODES, meshDemoCommand } from '../../cli/mesh-demo-command.js';
import { capturingOutput } from '../helpers/captured-output.js';
import { untilValue } from '../helpers/wait.js';

/** What this test reads of a node's status. */
interface MeshOnly {
  mesh?: { membership: { members: Array<{ spiffeId: string; state: string }> } };
}

function connected(links: number[][]): boolean {
  const neighbours = links.map(() => new Set<number>());
  links.forEach((dials, index) => dials.forEach((other) => (neighbours[index]!.add(other), neighbours[other]!.add(index))));
  const seen = new Set([0]);
  const queue = [0];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) for (const other of neighbours[next]!) if (!seen.has(other)) (seen.add(other), queue.push(other));
  return seen.size === links.length;
}

describe('mesh demo links', () => {
  it('makes a ring, with chords from six nodes on, each pair linked once', () => {
    expect(demoLinks(2)).toEqual([[1], []]);
    expect(demoLinks(3)).toEqual([[1], [2], [0]]);
    expect(demoLinks(6)).toEqual([[1, 3], [2], [3], [4], [5], [0]]);
    for (let nodes = 2; nodes <= MAX_DEMO_NODES; nodes++) {
      const links = demoLinks(nodes);
      expect(connected(links)).toBe(true);
      const pairs = links.flatMap((dials, index) => dials.map((other) => [Math.min(index, other), Math.max(index, other)].join('-')));
      expect(new Set(pairs).size).toBe(pairs.length);
      links.forEach((dials, index) => expect(dials).not.toContain(index));
    }
  });
});

describe('x0tta6bl4 mesh demo, in this process', () => {
  it('refuses a node count out of range and a directory that exists, with a usage error', async () => {
    const existing = mkdtempSync(join(tmpdir(), 'x0tta6bl4-demo-exists-'));
    try {
      await expect(meshDemoCommand({ nodes: '1' }, Promise.resolve())).rejects.toMatchObject({ name: 'UsageError' });
      await expect(meshDemoCommand({ nodes: String(MAX_DEMO_NODES + 1) }, Promise.resolve())).rejects.toMatchObject({ name: 'UsageError' });
      await expect(meshDemoCommand({ nodes: '2', dir: existing }, Promise.resolve())).rejects.toMatchObject({ name: 'UsageError', message: expect.stringContaining('exists') });
      expect(existsSync(existing)).toBe(true);
    } finally {
      rmSync(existing, { recursive: true, force: true });
    }
  });

  it('starts two nodes that serve and know each other, says where they are, and stops and removes them when told', async () => {
    const root = mkdtempSync(join(tmpdir(), 'x0tta6bl4-demo-inproc-'));
    const dir = join(root, 'demo');
    let stop!: () => void;
    const metricsAddresses: string[] = [];
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    try {
      const run = capturingOutput(async () => {
        const demo = meshDemoCommand({ nodes: '2', dir }, stopped);
        await untilValue(
          'n0 to know n1 alive',
          async () => {
            const status = (await callControl(join(dir, 'n0', 'control.sock'), 'status').catch(() => undefined)) as MeshOnly | undefined;
            return status?.mesh?.membership.members.some((member) => member.spiffeId === 'spiffe://mesh.demo/node/n1' && member.state === 'alive') ? true : undefined;
          },
          120_000,
          200,
        );
        // Each node serves its own /metrics (on the default port, only the first would).
        for (const node of ['n0', 'n1']) {
          const { listen } = (JSON.parse(readFileSync(join(dir, `${node}.json`), 'utf8')) as { metrics: { listen: string } }).metrics;
          metricsAddresses.push(`http://${listen}/metrics`);
          const metrics = await untilValue(`${node} to serve /metrics`, () => fetch(`http://${listen}/metrics`).then((response) => (response.ok ? response.text() : undefined)).catch(() => undefined), 60_000, 200);
          expect(metrics).toContain('x0tta6bl4_');
        }
        stop();
        await demo;
      });
      const { stdout } = await run;
      expect(stdout).toContain('mesh demo: 2 nodes in');
      expect(stdout).toContain(`control socket ${join(dir, 'n0', 'control.sock')}`);
      expect(stdout).toContain('mesh demo: stopped');
      expect(new Set(metricsAddresses).size).toBe(2);
      for (const address of metricsAddresses) expect(stdout).toContain(`metrics ${address}`);
      expect(existsSync(dir)).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 180_000);
});
