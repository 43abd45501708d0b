/**
 * The node's signing key across restarts, between real node processes: a peer sees the same
 * ML-DSA key from a node before and after it restarts (its node record in the link's handshake);
 * `identity keygen` provisions a key and never replaces one; `run` refuses, with exit 78 and the
 * file named, a key others can read and a configured key that is missing, instead of starting
 * with another identity.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NODE_KEY_FILE_NAME } from '../../actors/runtime/config/data-files.js';
import { initTrustDomain, meshOf, shareCa, startMeshListener, startMeshNode } from '../helpers/mesh-node.js';
import { CLI_MAIN, reapAll, startProcess } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

const dirs: string[] = [];
afterEach(async () => {
  await reapAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-node-key-'));
  dirs.push(dir);
  return dir;
}

const A = 'spiffe://keys.test/node/a';
const B = 'spiffe://keys.test/node/b';

describe("a node's signing key", () => {
  it('is the same key a peer sees before and after the node restarts', async () => {
    const dirA = dataDir();
    const dirB = dataDir();
    await initTrustDomain(dirB, 'keys.test');
    shareCa(dirB, dirA);
    const b = await startMeshListener(dirB, { trustDomain: 'keys.test', spiffeId: B });
    const startA = () => startMeshNode({ dir: dirA, trustDomain: 'keys.test', spiffeId: A, mesh: { peers: [{ address: b.listening, spiffeId: B }] } });

    const seenBefore = async () => {
      const atA = await untilValue("A's own key in its status", async () => (await meshOf(dirA))?.nodeKey);
      const atB = await untilValue("A's key at B, from the link's handshake", async () => {
        const link = (await meshOf(dirB))?.links.find((candidate) => candidate.peer === A && candidate.status === 'up');
        return link?.peerKey;
      });
      return { atA, atB };
    };
    let a = startA();
    await a.waitForOutput('"msg":"ready"');
    const first = await seenBefore();
    expect(first.atB).toBe(first.atA);
    expect(first.atA).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dirA, NODE_KEY_FILE_NAME)).mode & 0o777).toBe(0o600);
    const fileBefore = readFileSync(join(dirA, NODE_KEY_FILE_NAME));

    a.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    // A's stop closes its connection: B shows no link to A up before A comes back.
    const upAtB = async () => (await meshOf(dirB))?.links.find((candidate) => candidate.peer === A && candidate.status === 'up');
    await untilValue("B to see A's link go down", async () => ((await upAtB()) ? undefined : true));
    a = startA();
    await a.waitForOutput('"msg":"ready"');
    const keyAfter = await untilValue('A back at B', async () => (await upAtB())?.peerKey);
    expect(keyAfter).toBe(first.atA);
    expect(await untilValue("A's own key in its status after the restart", async () => (await meshOf(dirA))?.nodeKey)).toBe(first.atA);
    expect(readFileSync(join(dirA, NODE_KEY_FILE_NAME)).equals(fileBefore)).toBe(true);
  });

  it('is provisioned by identity keygen, which never replaces a file', async () => {
    const file = join(dataDir(), 'provisioned.key');
    const keygen = startProcess([CLI_MAIN, 'identity', 'keygen', '--out', file]);
    expect(await keygen.exited).toBe(0);
    expect(keygen.output()).toMatch(/public key sha256 [0-9a-f]{64}/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const before = readFileSync(file);
    const again = startProcess([CLI_MAIN, 'identity', 'keygen', '--out', file]);
    expect(await again.exited).toBe(2);
    expect(again.output()).toContain('never replaced');
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses to run (exit 78, the file named) on a key others can read, and on a configured key that is missing', async () => {
    const dir = dataDir();
    // A node with a mesh: the key is made on its first start.
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ metrics: { enabled: false }, mesh: { listen: '127.0.0.1:0' } }));
    const run = () => startProcess([CLI_MAIN, 'run', '--config', config, '--data-dir', dir]);
    const first = run();
    await first.waitForOutput('"msg":"ready"');
    expect(first.output()).toContain('node key created');
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const keyFile = join(dir, NODE_KEY_FILE_NAME);
    chmodSync(keyFile, 0o644);
    const readable = run();
    expect(await readable.exited).toBe(78);
    expect(readable.output()).toContain(keyFile);
    expect(readable.output()).toContain('chmod 600');

    const missing = join(dir, 'provisioned.key');
    writeFileSync(config, JSON.stringify({ metrics: { enabled: false }, mesh: { listen: '127.0.0.1:0' }, identity: { nodeKeyFile: missing } }));
    const unprovisioned = run();
    expect(await unprovisioned.exited).toBe(78);
    expect(unprovisioned.output()).toContain(`${missing}: does not exist`);
  });
});
