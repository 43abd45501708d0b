/**
 * Suspicion and death between real node processes on loopback, A and C each linked to B only:
 * - C killed with SIGKILL: B finds its link closed and C's port refusing, declares C dead at once,
 *   and A, which has no link to C, holds it dead from B's signed claim;
 * - C frozen with SIGSTOP (no socket closes): B's failure detector finds it silent, suspects it,
 *   and declares it dead when the suspicion times out; A follows B's claims. Resumed with SIGCONT,
 *   C links to B again, is given the claims about it, refutes them with a newer incarnation, and
 *   every member holds it alive again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MemberState } from '../../lib/mesh/membership-state.js';
import { initTrustDomain, meshOf, shareCa, startMeshListener, startMeshNode } from '../helpers/mesh-node.js';
import { reapAll, type NodeProcess } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

const TRUST_DOMAIN = 'mesh.test';
const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';

const dirs: string[] = [];
afterEach(async () => {
  await reapAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-suspect-'));
  dirs.push(dir);
  return dir;
}

/** A and C seeded with B; resolves once A holds C alive (C's record crossed B). */
async function lineOfThree(): Promise<{ dirA: string; dirB: string; b: NodeProcess; c: NodeProcess }> {
  const [dirA, dirB, dirC] = [dataDir(), dataDir(), dataDir()];
  await initTrustDomain(dirB, TRUST_DOMAIN);
  shareCa(dirB, dirA);
  shareCa(dirB, dirC);
  const b = await startMeshListener(dirB, { trustDomain: TRUST_DOMAIN, spiffeId: B });
  const seed = [{ address: b.listening, spiffeId: B }];
  startMeshNode({ dir: dirA, trustDomain: TRUST_DOMAIN, spiffeId: A, mesh: { listen: '127.0.0.1:0', peers: seed } });
  const c = startMeshNode({ dir: dirC, trustDomain: TRUST_DOMAIN, spiffeId: C, mesh: { listen: '127.0.0.1:0', peers: seed } });
  await memberAt(dirA, C, (member) => member.state === 'alive', 'A to hold C alive');
  return { dirA, dirB, b: b.node, c };
}

function memberAt(dir: string, id: string, wanted: (member: MemberState) => boolean, what: string): Promise<MemberState> {
  return untilValue(
    what,
    async () => {
      const member = (await meshOf(dir))?.membership.members.find((candidate) => candidate.spiffeId === id);
      return member && wanted(member) ? member : undefined;
    },
    60_000,
    100,
  );
}

describe('suspicion between node processes', () => {
  it('holds a killed node dead everywhere: its neighbour at once, a member with no link to it by the claim', async () => {
    const { dirA, dirB, b, c } = await lineOfThree();
    c.kill('SIGKILL');
    await memberAt(dirB, C, (member) => member.state === 'dead', 'B to declare C dead');
    await memberAt(dirA, C, (member) => member.state === 'dead', "A to hold C dead by B's claim");
    // At once: by the probe of C's address, which the kernel refused, not by the suspicion's timeout.
    const verdict = b
      .output()
      .split('\n')
      .find((line) => line.includes('"msg":"member declared dead"') && line.includes(C));
    expect(verdict).toContain('its address refused a connection');
    const atA = await meshOf(dirA);
    expect(atA!.membership.claims.learned).toBeGreaterThanOrEqual(1);
  });

  it('holds a frozen node dead without any socket closing, and alive again under a newer incarnation once it refutes', async () => {
    const { dirA, dirB, c } = await lineOfThree();
    const before = await memberAt(dirA, C, () => true, 'C at A');
    c.kill('SIGSTOP');
    await memberAt(dirB, C, (member) => member.state === 'dead', 'B to declare C dead');
    await memberAt(dirA, C, (member) => member.state === 'dead', 'A to hold C dead');
    expect((await meshOf(dirB))!.silentPeers).toBeGreaterThanOrEqual(1);
    c.kill('SIGCONT');
    const back = await memberAt(dirA, C, (member) => member.state === 'alive' && BigInt(member.incarnation) > BigInt(before.incarnation), 'A to hold C alive again');
    expect(back.addresses).toEqual(before.addresses);
    await memberAt(dirB, C, (member) => member.state === 'alive' && member.incarnation === back.incarnation, 'B to hold C alive again');
  });
});
