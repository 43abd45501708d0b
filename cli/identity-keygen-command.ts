/**
 * `x0tta6bl4 identity keygen --out FILE`: creates a node signing key (ML-DSA-65, 0600) for an
 * operator to provision, named then by `identity.nodeKeyFile`, so that the node's identity in its
 * mesh outlives its data directory. Refuses to replace an existing file: that key is somebody's
 * identity. Prints the public key's SHA-256, by which peers' logs and records can be matched.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadPqc } from '../lib/crypto/liboqs.js';
import { readOrCreateNodeKey } from '../lib/crypto/node-key-file.js';
import { nodeKeyFingerprint } from '../lib/crypto/node-record.js';
import { ensureDirectory } from '../lib/files/private-files.js';
import { UsageError } from './usage-error.js';

export async function identityKeygenCommand(flags: { out: string }): Promise<void> {
  const file = resolve(flags.out);
  if (existsSync(file)) throw new UsageError(`${file} exists: a node key is never replaced (move it away first if you mean to)`);
  ensureDirectory(dirname(file), { private: false });
  const { key, created } = readOrCreateNodeKey(file, (await loadPqc()).mldsa65);
  if (!created) throw new UsageError(`${file} was created by someone else meanwhile; it was left as it is`);
  process.stdout.write(`created ${file} (ML-DSA-65, public key sha256 ${nodeKeyFingerprint(key.publicKey)})\n`);
}
