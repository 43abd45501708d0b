/**
 * `x0tta6bl4 identity keygen` run in this process on real files (the operator's process run, exit
 * code included, is in e2e/node-key-process.test.ts): a key the node reads back as the one printed,
 * made in a directory it creates, and never a file replaced.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { identityKeygenCommand } from '../../cli/identity-keygen-command.js';
import { UsageError } from '../../cli/usage-error.js';
import { loadPqc } from '../../lib/crypto/liboqs.js';
import { readNodeKey } from '../../lib/crypto/node-key-file.js';
import { nodeKeyFingerprint } from '../../lib/crypto/node-record.js';
import { capturingOutput } from '../helpers/captured-output.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-keygen-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('x0tta6bl4 identity keygen, in process', () => {
  it('writes a key the node reads back, 0600, in a directory it makes, and prints its fingerprint', async () => {
    const file = join(dir, 'etc', 'node-key');
    const run = await capturingOutput(() => identityKeygenCommand({ out: file }));
    const key = readNodeKey(file, (await loadPqc()).mldsa65);
    expect(run.stdout).toContain(`public key sha256 ${nodeKeyFingerprint(key.publicKey)}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses to replace any file at the path, key or not, and leaves it as it was', async () => {
    const file = join(dir, 'node-key');
    writeFileSync(file, 'an operator file', { mode: 0o600 });
    await expect(identityKeygenCommand({ out: file })).rejects.toBeInstanceOf(UsageError);
    expect(readFileSync(file, 'utf8')).toBe('an operator file');
  });
});
