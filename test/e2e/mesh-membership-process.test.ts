/**
 * Membership between real node processes on loopback (one embedded trust domain, each node its own
 * data directory, SVIDs and ML-DSA key): A and C are each configured with B alone, and learn each
 * other through B, with the addresses their records advertise, as `x0tta6bl4 peers` shows them; a
 * node stopped gracefully (SIGTERM) is seen as `left` by every member, through B, without anyone
 * suspecting it; and a node restarted with the same key and data directory comes back under a
 * higher incarnation, which every member takes over its leave.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerRow } from '../../cli/peers-command.js';
import { initTrustDomain, meshOf, shareCa, startMeshListener, startMeshNode } from '../helpers/mesh-node.js';
import { CLI_MAIN, reapAll, startProcess } from '../helpers/node-process.js';
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
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-members-'));
  dirs.push(dir);
  return dir;
}

/** `x0tta6bl4 peers --json` at a node, run as the operator would. */
async function peersAt(dir: string): Promise<{ spiffeId: string; incarnation: string; members: PeerRow[] }> {
  const cli = startProcess([CLI_MAIN, 'peers', '--json', '--data-dir', dir]);
  const code = await cli.exited;
  if (code !== 0) throw new Error(`peers exited with ${code}: ${cli.output()}`);
  return JSON.parse(cli.output()) as never;
}

async function until(dir: string, what: string, wanted: (members: PeerRow[]) => boolean) {
  return untilValue(what, async () => {
    const peers = await peersAt(dir);
    return wanted(peers.members) ? peers : undefined;
  }, 60_000, 200);
}

const member = (members: PeerRow[], id: string) => members.find((row) => row.spiffeId === id);

describe('membership between node processes', () => {
  it('makes nodes that know one seed learn each other, sees a graceful leave everywhere, and a restart outrank it', async () => {
    const [dirA, dirB, dirC] = [dataDir(), dataDir(), dataDir()];
    await initTrustDomain(dirB, TRUST_DOMAIN);
    shareCa(dirB, dirA);
    shareCa(dirB, dirC);
    const b = await startMeshListener(dirB, { trustDomain: TRUST_DOMAIN, spiffeId: B });
    const seed = [{ address: b.listening, spiffeId: B }];
    const startC = () => startMeshNode({ dir: dirC, trustDomain: TRUST_DOMAIN, spiffeId: C, mesh: { listen: '127.0.0.1:0', peers: seed } });
    startMeshNode({ dir: dirA, trustDomain: TRUST_DOMAIN, spiffeId: A, mesh: { listen: '127.0.0.1:0', peers: seed } });
    let c = startC();

    const cAddress = await untilValue("C's listening address", async () => (await meshOf(dirC).catch(() => undefined))?.listening, 60_000, 200);
    const atA = await until(dirA, 'A to know C, through B', (members) => member(members, C)?.state === 'alive');
    expect(atA.spiffeId).toBe(A);
    expect(member(atA.members, C)).toMatchObject({ spiffeId: C, state: 'alive', incarnation: expect.stringMatching(/^\d+$/), addresses: [cAddress] });
    // Known, not linked: A reaches C through B, its route two hops long.
    expect(member(atA.members, C)!.link).toBeUndefined();
    const routed = await until(dirA, 'A to route to C through B', (members) => member(members, C)?.route?.nextHop === B);
    expect(member(routed.members, C)!.route!.metric).toBeGreaterThan(member(routed.members, B)!.route!.metric);
    expect(member(atA.members, B)).toMatchObject({ state: 'alive', addresses: [b.listening], link: { role: 'dialer', status: 'up', phi: expect.any(Number) } });
    const atC = await until(dirC, 'C to know A', (members) => member(members, A)?.state === 'alive');
    const firstIncarnation = BigInt(member(atA.members, C)!.incarnation);
    expect(BigInt(atC.incarnation)).toBe(firstIncarnation);

    c.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    const left = await until(dirA, "C's leave at A", (members) => member(members, C)?.state === 'left');
    expect(BigInt(member(left.members, C)!.incarnation)).toBe(firstIncarnation);
    expect(member((await peersAt(dirB)).members, C)?.state).toBe('left');
    // A graceful leave is no failure: B, whose link to C it ended, never suspected C (read from its
    // log, not its counters: on a loaded machine a slow moment of another link may count elsewhere).
    expect(b.node.output()).not.toMatch(new RegExp(`"member":"${C}"[^\n]*"msg":"member (suspected|declared dead)`));

    c = startC();
    const back = await until(dirA, 'C back at A', (members) => member(members, C)?.state === 'alive');
    expect(BigInt(member(back.members, C)!.incarnation)).toBeGreaterThan(firstIncarnation);

    const text = startProcess([CLI_MAIN, 'peers', '--data-dir', dirA]);
    expect(await text.exited).toBe(0);
    expect(text.output()).toContain(`${A}: 2 members known`);
    expect(text.output()).toMatch(new RegExp(`${C.replace(/[/.]/g, '\\$&')}  alive  no link  (via \\S+, metric \\d+|no route)  127\\.0\\.0\\.1:\\d+  incarnation \\d+`));
  });

  it('says so, with the usage code, when the node runs no peer link', async () => {
    const dir = dataDir();
    const node = startMeshNode({ dir, trustDomain: TRUST_DOMAIN, spiffeId: A, mesh: {} });
    await node.waitForOutput('"msg":"ready"');
    const cli = startProcess([CLI_MAIN, 'peers', '--data-dir', dir]);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain('the node runs no peer link');
  });
});
