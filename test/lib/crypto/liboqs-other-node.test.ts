/**
 * @oqs/liboqs-js declares Node.js >= 22 while the node supports 20 too (package.json engines): the
 * suite runs under one major, and this runs the post-quantum parts under the other (Node.js from
 * the npm registry's official binary package, unpacked by scripts/setup.sh): the known-answer
 * self-test at the suite's size, and a peer link over real TLS whose post-quantum session rekeys
 * under traffic. The whole node cannot run there: better-sqlite3 is a native addon built for the
 * suite's Node.js only.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../fixtures/pq-link-under-node.js', import.meta.url));

function otherNode(): string {
  const binary = execFileSync(process.execPath, [join(REPO, 'scripts/other-node.mjs'), 'path'], { encoding: 'utf8' }).trim();
  if (!existsSync(binary)) throw new Error(`no other Node.js major at ${binary}: run scripts/setup.sh (it unpacks one from the npm registry)`);
  return binary;
}

/** Well inside the test's own deadline, so the child is killed (its TLS listeners with it) before vitest gives up. */
const CHILD_TIMEOUT_MS = 100_000;

function run(binary: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [SCRIPT], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], timeout: CHILD_TIMEOUT_MS, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the post-quantum library under the other supported Node.js major', () => {
  it('passes the known-answer self-test at the suite size and carries a rekeying post-quantum link over TLS', async () => {
    const binary = otherNode();
    const result = await run(binary);
    expect(result.code, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout.trim().split('\n').pop()!) as { node: string; sent: number; inOrder: boolean; suite: string; epoch: number; rekeys: number; selfTestIterations: number };
    const major = (version: string) => Number(version.replace(/^v/, '').split('.')[0]);
    // Really the other major, and one the node supports.
    expect(major(seen.node)).not.toBe(major(process.version));
    expect([20, 22]).toContain(major(seen.node));
    expect(seen.selfTestIterations).toBe(10_000);
    // Everything sent arrived once, in order, across three rekeys at least (one every 32 frames).
    expect(seen.sent).toBeGreaterThanOrEqual(200);
    expect(seen.inOrder).toBe(true);
    expect(seen.suite).toBe('x-wing');
    expect(seen.epoch).toBeGreaterThanOrEqual(3);
    expect(seen.rekeys).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
