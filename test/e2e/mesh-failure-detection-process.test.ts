/**
 * Failure detection between real node processes on loopback: a node frozen with SIGSTOP closes none
 * of its sockets, yet its peer's failure detector finds it silent (phi past the threshold) and closes
 * the link's connection; resumed with SIGCONT, it is linked again. A node killed with SIGKILL is
 * found at once, by its connection closing. The peer serves throughout and is never restarted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { actorStatus, initTrustDomain, meshOf, shareCa, startMeshListener, startMeshNode } from '../helpers/mesh-node.js';
import { reapAll } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

const TRUST_DOMAIN = 'mesh.test';
const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';

const dirs: string[] = [];
afterEach(async () => {
  // SIGKILL ends a stopped process too.
  await reapAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-silent-'));
  dirs.push(dir);
  return dir;
}

async function linkOfA(dirA: string, wanted: (link: { status: string; lastError?: string; connections: number; rttMs?: number }) => boolean, what: string) {
  return untilValue(
    what,
    async () => {
      const mesh = await meshOf(dirA);
      const link = mesh?.links.find((candidate) => candidate.peer === B);
      return mesh && link && wanted(link) ? { mesh, link } : undefined;
    },
    60_000,
    100,
  );
}

describe('failure detection between node processes', () => {
  it('finds a frozen peer silent though none of its sockets closed, and links again once it resumes', async () => {
    const [dirA, dirB] = [dataDir(), dataDir()];
    await initTrustDomain(dirB, TRUST_DOMAIN);
    shareCa(dirB, dirA);
    const b = await startMeshListener(dirB, { trustDomain: TRUST_DOMAIN, spiffeId: B });
    startMeshNode({ dir: dirA, trustDomain: TRUST_DOMAIN, spiffeId: A, mesh: { peers: [{ address: b.listening, spiffeId: B }] } });
    // Up, and its heartbeats answered (the round trip is known once a Pong came back).
    const up = await linkOfA(dirA, (link) => link.status === 'up' && link.rttMs !== undefined, "A's link to B up, heartbeats answered");
    expect(up.link).toMatchObject({ phi: expect.any(Number), rttMs: expect.any(Number) });

    b.node.kill('SIGSTOP');
    const silent = await linkOfA(dirA, (link) => link.status !== 'up' && (link.lastError ?? '').includes('PeerSilentError'), 'A to find B silent');
    expect(silent.mesh.silentPeers).toBeGreaterThanOrEqual(1);
    expect(silent.link.lastError).toMatch(/was silent for \d+ ms \(phi \d+\.\d\)/);

    b.node.kill('SIGCONT');
    const again = await linkOfA(dirA, (link) => link.status === 'up' && link.connections >= 2, 'A linked to B again');
    expect(again.link.phi).toBeLessThan(8);
    expect((await actorStatus(dirA, 'peer-link')).restarts).toBe(0);
  });

  it('finds a killed peer gone by its connection closing', async () => {
    const [dirA, dirB] = [dataDir(), dataDir()];
    await initTrustDomain(dirB, TRUST_DOMAIN);
    shareCa(dirB, dirA);
    const b = await startMeshListener(dirB, { trustDomain: TRUST_DOMAIN, spiffeId: B });
    startMeshNode({ dir: dirA, trustDomain: TRUST_DOMAIN, spiffeId: A, mesh: { peers: [{ address: b.listening, spiffeId: B }] } });
    await linkOfA(dirA, (link) => link.status === 'up', "A's link to B up");
    b.node.kill('SIGKILL');
    const gone = await linkOfA(dirA, (link) => link.status !== 'up', 'A to lose its link to B');
    // The kernel closed B's sockets: the link went down on the close, not on the detector.
    expect(gone.link.lastError ?? '').not.toContain('PeerSilentError');
  });
});
