/**
 * `x0tta6bl4 routes`: one line per route, sorted by destination, a direct one said so and a
 * member's text made harmless; the JSON carries the routing state as status has it. A node without
 * a peer link is a usage error (as for `peers`). Routes over real node processes are in
 * test/e2e/mesh-routing-process.test.ts.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatRoutes, routesCommand } from '../../cli/routes-command.js';
import { CONTROL_SOCKET_FILE_NAME } from '../../actors/runtime/config/node-config.js';
import type { MeshStatus } from '../../actors/runtime/ops/node-status.js';
import { COUNTER_ACTOR } from '../fixtures/fixture-paths.js';
import { makeDataDir, startTestNode, type TestNode } from '../helpers/test-node.js';

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';

const mesh = {
  spiffeId: A,
  routing: {
    seqno: 1_764_500_000,
    routes: [
      { destination: `${C}\u001b[2J`, nextHop: B, metric: 200, seqno: 7 },
      { destination: B, nextHop: B, metric: 96, seqno: 4 },
    ],
    routeChanges: 3,
    received: 5,
    refused: {},
  },
} as unknown as MeshStatus;

let running: TestNode | undefined;
afterEach(async () => {
  await running?.cleanup();
  if (running) rmSync(running.dataDir, { recursive: true, force: true });
  running = undefined;
});

describe('x0tta6bl4 routes', () => {
  it('lists each route by destination: direct, or through which neighbour, with metric and seqno', () => {
    expect(formatRoutes(mesh)).toBe(
      [`${A}: 2 routes (seqno 1764500000, 3 changes)`, `  ${B}  direct  metric 96  seqno 4`, `  ${C}?[2J  via ${B}  metric 200  seqno 7`, ''].join('\n'),
    );
  });

  it('refuses, with a usage error, a node that runs no peer link', async () => {
    const dataDir = makeDataDir();
    running = await startTestNode({
      dataDir,
      children: [{ kind: 'actor', id: 'worker-a', module: COUNTER_ACTOR, host: 'inline' }],
      ops: { controlSocket: { path: join(dataDir, CONTROL_SOCKET_FILE_NAME) } },
    });
    await expect(routesCommand({ dataDir })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringContaining('no peer link') });
  });
});
