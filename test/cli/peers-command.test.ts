/**
 * `x0tta6bl4 peers`: one row per member with the link to it (an up link over one that is not),
 * as text an operator reads (a member's text made harmless) and as JSON; and, in this process
 * against a real node without a peer link, the usage error that says there is nothing to list.
 * The process runs, with members learned by gossip, are in test/e2e/mesh-membership-process.test.ts.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatPeers, peerRows, peersCommand } from '../../cli/peers-command.js';
import { CONTROL_SOCKET_FILE_NAME } from '../../actors/runtime/config/node-config.js';
import type { MeshStatus } from '../../actors/runtime/ops/node-status.js';
import type { LinkState } from '../../lib/mesh/links-state.js';
import { COUNTER_ACTOR } from '../fixtures/fixture-paths.js';
import { makeDataDir, startTestNode, type TestNode } from '../helpers/test-node.js';

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';

const link = (peer: string, role: LinkState['role'], status: LinkState['status']): LinkState => ({
  peer,
  role,
  status,
  connections: 1,
  reauths: 0,
  peerReauthsDeferred: 0,
  sent: 0,
  delivered: 0,
  controlSent: 0,
  controlDelivered: 0,
  pending: 0,
  unwritten: 0,
  retransmitted: 0,
  duplicates: 0,
  dropped: 0,
});

const member = (spiffeId: string, state: 'alive' | 'left', addresses: string[]) => ({ spiffeId, state, incarnation: '1764500000000', addresses, issuedAt: 1, learnedAt: 2, linked: false });

const mesh = {
  phase: 'serving',
  spiffeId: A,
  links: [link(B, 'acceptor', 'down'), { ...link(B, 'dialer', 'up'), phi: 0.31, rttMs: 0.42 }],
  membership: { incarnation: '7', members: [member(B, 'alive', ['127.0.0.1:7401']), member(`${C}\u001b[2J`, 'left', [])], learned: 2, stale: 0, refused: {} },
  routing: { seqno: 1, routes: [{ destination: B, nextHop: B, metric: 96, seqno: 4 }], routeChanges: 1, received: 1, refused: {} },
} as unknown as MeshStatus;

let running: TestNode | undefined;
afterEach(async () => {
  await running?.cleanup();
  if (running) rmSync(running.dataDir, { recursive: true, force: true });
  running = undefined;
});

describe('x0tta6bl4 peers', () => {
  it('lists each member with the link to it, an up one first', () => {
    expect(peerRows(mesh)).toEqual([
      { spiffeId: B, state: 'alive', incarnation: '1764500000000', addresses: ['127.0.0.1:7401'], link: { role: 'dialer', status: 'up', phi: 0.31, rttMs: 0.42 }, route: { nextHop: B, metric: 96 } },
      { spiffeId: `${C}\u001b[2J`, state: 'left', incarnation: '1764500000000', addresses: [] },
    ]);
    expect(formatPeers(mesh)).toBe(
      [`${A}: 2 members known`, `  ${B}  alive  → up phi 0.31 rtt 0.42 ms  direct, metric 96  127.0.0.1:7401  incarnation 1764500000000`, `  ${C}?[2J  left  no link  no route  (no address)  incarnation 1764500000000`, ''].join('\n'),
    );
  });

  it('refuses, with a usage error, a node that runs no peer link', async () => {
    const dataDir = makeDataDir();
    running = await startTestNode({
      dataDir,
      children: [{ kind: 'actor', id: 'worker-a', module: COUNTER_ACTOR, host: 'inline' }],
      ops: { controlSocket: { path: join(dataDir, CONTROL_SOCKET_FILE_NAME) } },
    });
    await expect(peersCommand({ dataDir })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringContaining('no peer link') });
  });
});
