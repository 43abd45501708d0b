/** A node whose post-quantum self-test fails refuses to start: exit code 70, the algorithm named, no control socket. */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_SELF_TEST } from '../../cli/exit-codes.js';
import { DEFAULT_VECTORS_DIR } from '../../lib/crypto/self-test.js';
import { reapAll, startProcess, TEST_NODE_MAIN } from '../helpers/node-process.js';

let dir: string | undefined;
afterEach(async () => {
  await reapAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('post-quantum self-test at start', () => {
  it('refuses to start with exit 70 naming the algorithm whose known answer is wrong', async () => {
    dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-selftest-'));
    const vectors = join(dir, 'vectors');
    cpSync(DEFAULT_VECTORS_DIR, vectors, { recursive: true });
    const file = join(vectors, 'accumulated.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { mldsa: Record<string, Record<string, string>> };
    json.mldsa['ML-DSA-65']!['100'] = '00'.repeat(32);
    writeFileSync(file, JSON.stringify(json));

    const node = startProcess([TEST_NODE_MAIN, JSON.stringify({ dataDir: join(dir, 'data'), actors: [], selfTestVectorsDir: vectors })]);
    expect(await node.exited).toBe(EXIT_SELF_TEST);
    expect(node.output()).toContain('refusing to start: known-answer self-test failed for ML-DSA-65');
    expect(existsSync(join(dir, 'data', 'control.sock'))).toBe(false);
  });
});
