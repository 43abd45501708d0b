/**
 * The node's signing key file: created once with mode 0600 and read back the same; refused when
 * others can read it, when it is a symbolic link or a FIFO, not a key, or a public key that is not
 * its secret key's; and one key, no temporary file left, when several create it at once.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadPqc, MLDSA65_SIZES, type Pqc } from '../../../lib/crypto/liboqs.js';
import { NODE_KEY_FILE_BYTES, NodeKeyFileError, readNodeKey, readOrCreateNodeKey } from '../../../lib/crypto/node-key-file.js';

let pqc: Pqc;
const dirs: string[] = [];
beforeAll(async () => {
  pqc = await loadPqc();
});
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function keyPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-node-key-'));
  dirs.push(dir);
  return join(dir, 'node-key.mldsa65');
}

function problemOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(NodeKeyFileError);
    return (error as NodeKeyFileError).problem;
  }
}

describe('the node key file', () => {
  it('is created once, owner-only, and read back as the same key pair that signs and verifies', () => {
    const path = keyPath();
    const first = readOrCreateNodeKey(path, pqc.mldsa65);
    expect(first.created).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).size).toBe(NODE_KEY_FILE_BYTES);
    const again = readOrCreateNodeKey(path, pqc.mldsa65);
    expect(again.created).toBe(false);
    expect(Buffer.from(again.key.publicKey).equals(Buffer.from(first.key.publicKey))).toBe(true);
    expect(Buffer.from(readNodeKey(path, pqc.mldsa65).secretKey).equals(Buffer.from(first.key.secretKey))).toBe(true);
    const message = Buffer.from('a vote');
    expect(pqc.mldsa65.verify(message, pqc.mldsa65.sign(message, again.key.secretKey), first.key.publicKey)).toBe(true);
  });

  it('is not created by a read: a missing key is its own error', () => {
    expect(problemOf(() => readNodeKey(keyPath(), pqc.mldsa65))).toBe('missing');
  });

  it('is refused when others can read it, and not rewritten', () => {
    const path = keyPath();
    readOrCreateNodeKey(path, pqc.mldsa65);
    const before = readFileSync(path);
    chmodSync(path, 0o640);
    expect(problemOf(() => readOrCreateNodeKey(path, pqc.mldsa65))).toBe('unsafe');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('is refused through a symbolic link, even to a good key', () => {
    const path = keyPath();
    readOrCreateNodeKey(path, pqc.mldsa65);
    const link = `${path}.link`;
    symlinkSync(path, link);
    expect(problemOf(() => readNodeKey(link, pqc.mldsa65))).toBe('unsafe');
    expect(problemOf(() => readOrCreateNodeKey(link, pqc.mldsa65))).toBe('unsafe');
  });

  it('is refused when it is not a key: another size, or another header', () => {
    const path = keyPath();
    writeFileSync(path, Buffer.alloc(NODE_KEY_FILE_BYTES - 1), { mode: 0o600 });
    expect(problemOf(() => readOrCreateNodeKey(path, pqc.mldsa65))).toBe('malformed');
    writeFileSync(path, Buffer.alloc(NODE_KEY_FILE_BYTES), { mode: 0o600 });
    expect(problemOf(() => readOrCreateNodeKey(path, pqc.mldsa65))).toBe('malformed');
  });

  it("is refused when its public key is not its secret key's (another key's public half put in)", () => {
    const path = keyPath();
    readOrCreateNodeKey(path, pqc.mldsa65);
    const other = pqc.mldsa65.keypair();
    const bytes = readFileSync(path);
    const headerBytes = NODE_KEY_FILE_BYTES - MLDSA65_SIZES.publicKey - MLDSA65_SIZES.secretKey;
    Buffer.from(other.publicKey).copy(bytes, headerBytes);
    writeFileSync(path, bytes, { mode: 0o600 });
    expect(problemOf(() => readNodeKey(path, pqc.mldsa65))).toBe('inconsistent');
  });

  it("is the other creator's key when another creates it between this one's read and its link", () => {
    const path = keyPath();
    let theirs: Uint8Array | undefined;
    // Another process wins the race at the worst moment: after this call found no key and while it makes its own.
    const racing = {
      ...pqc.mldsa65,
      keypair: () => {
        theirs ??= readOrCreateNodeKey(path, pqc.mldsa65).key.publicKey;
        return pqc.mldsa65.keypair();
      },
    };
    const mine = readOrCreateNodeKey(path, racing);
    expect(mine.created).toBe(false);
    expect(Buffer.from(mine.key.publicKey).equals(Buffer.from(theirs!))).toBe(true);
    expect(readdirSync(dirname(path))).toEqual([basename(path)]);
  });

  it('is refused, not waited on, when a FIFO stands at its path', () => {
    const path = keyPath();
    execFileSync('mkfifo', ['-m', '600', path]);
    expect(problemOf(() => readNodeKey(path, pqc.mldsa65))).toBe('unsafe');
  });

  it('is one key when four processes create it at the same moment', async () => {
    const path = keyPath();
    const modules = {
      liboqs: fileURLToPath(new URL('../../../lib/crypto/liboqs.js', import.meta.url)),
      keyFile: fileURLToPath(new URL('../../../lib/crypto/node-key-file.js', import.meta.url)),
    };
    const script = `
      const { loadPqc } = await import(${JSON.stringify(modules.liboqs)});
      const { readOrCreateNodeKey } = await import(${JSON.stringify(modules.keyFile)});
      const signer = (await loadPqc()).mldsa65;
      const { key, created } = readOrCreateNodeKey(${JSON.stringify(path)}, signer);
      process.stdout.write(JSON.stringify({ created, publicKey: Buffer.from(key.publicKey).toString('base64') }));
    `;
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        return new Promise<{ created: boolean; publicKey: string }>((resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { created: boolean; publicKey: string }) : reject(new Error(`exit ${code}`))));
        });
      }),
    );
    expect(new Set(runs.map((run) => run.publicKey)).size).toBe(1);
    expect(runs.filter((run) => run.created)).toHaveLength(1);
    expect(Buffer.from(readNodeKey(path, pqc.mldsa65).publicKey).toString('base64')).toBe(runs[0]!.publicKey);
  });
});
