/**
 * The node's ML-DSA-65 signing key on disk: the key its signatures carry across restarts (the node
 * record its peers check, and what membership gossip, votes and model updates are signed with), so
 * that a restart does not make the node a stranger to the mesh.
 *
 *   magic "x0tta6bl4 ML-DSA-65 node key v1\n" (31 bytes) | public key (1952) | secret key (4032)
 *
 * liboqs-js derives no key pair from a seed, so both halves are stored. A file is read only if it
 * is a regular file of this process's user that no one else can read or write, of exactly this
 * size; then the pair must sign and verify a test message (a pairwise consistency check, as FIPS
 * 140 asks of a generated key), so a public key that is not the secret key's is refused rather
 * than presented to peers. A key is created at most once (createFileSafely: a private temporary
 * file linked to its name, which fails if another thread created it first, whose key is then the
 * one read): two threads starting together agree on one key.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { createFileSafely, PRIVATE_FILE_MODE } from '../files/private-files.js';
import { MLDSA65_SIZES, type Signer } from './liboqs.js';

const MAGIC = Buffer.from('x0tta6bl4 ML-DSA-65 node key v1\n', 'latin1');
export const NODE_KEY_FILE_BYTES = MAGIC.length + MLDSA65_SIZES.publicKey + MLDSA65_SIZES.secretKey;
const CONSISTENCY_MESSAGE = Buffer.from('x0tta6bl4 node key pairwise consistency check');

export interface NodeSigningKey {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export type NodeKeyFileProblem = 'missing' | 'unsafe' | 'malformed' | 'inconsistent';

/** Why the node key at `path` cannot be used; the node does not start on it (its identity would change). */
export class NodeKeyFileError extends Error {
  override readonly name = 'NodeKeyFileError';
  constructor(
    readonly path: string,
    readonly problem: NodeKeyFileProblem,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`the node key ${path}: ${detail}`, options);
  }
}

/** Reads and checks the key at `path`. */
export function readNodeKey(path: string, signer: Signer): NodeSigningKey {
  let fd: number;
  try {
    // Non-blocking: a FIFO put at the path would otherwise hold the open until a writer came (fstat then refuses it).
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NodeKeyFileError(path, 'missing', 'does not exist', { cause: error });
    if (code === 'ELOOP') throw new NodeKeyFileError(path, 'unsafe', 'is a symbolic link; give the file itself', { cause: error });
    if (code === 'EACCES' || code === 'EPERM') throw new NodeKeyFileError(path, 'unsafe', `cannot be read by this process's user (${code}): it must belong to that user, mode 600`, { cause: error });
    // Anything else (EIO, ENOMEM, …) may pass: the caller fails as for any I/O error, and a restart may succeed.
    throw error;
  }
  let bytes: Buffer;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new NodeKeyFileError(path, 'unsafe', 'is not a regular file');
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) throw new NodeKeyFileError(path, 'unsafe', `belongs to uid ${stat.uid}, not to this process's uid ${uid}`);
    const mode = stat.mode & 0o777;
    if ((mode & 0o077) !== 0) throw new NodeKeyFileError(path, 'unsafe', `others can read or write it (mode ${mode.toString(8)}); chmod 600 it`);
    // The size is checked before anything is read: a file of any other length is not a key of ours.
    if (stat.size !== NODE_KEY_FILE_BYTES) throw new NodeKeyFileError(path, 'malformed', `is ${stat.size} bytes, a node key is ${NODE_KEY_FILE_BYTES}`);
    bytes = Buffer.alloc(NODE_KEY_FILE_BYTES);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) throw new NodeKeyFileError(path, 'malformed', `ended after ${read} bytes`);
      read += n;
    }
  } finally {
    closeSync(fd);
  }
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new NodeKeyFileError(path, 'malformed', 'does not start with the node key header');
  const publicKey = new Uint8Array(bytes.subarray(MAGIC.length, MAGIC.length + MLDSA65_SIZES.publicKey));
  const secretKey = new Uint8Array(bytes.subarray(MAGIC.length + MLDSA65_SIZES.publicKey));
  // The copies are the key from here on; the read buffer is not left holding it.
  bytes.fill(0);
  const key = { publicKey, secretKey };
  checkConsistency(path, key, signer);
  return key;
}

/**
 * The key at `path`, created there first if there is none. The directory must exist (the node's
 * data directory, checked when the node starts). Returns whether this call created it.
 */
export function readOrCreateNodeKey(path: string, signer: Signer): { key: NodeSigningKey; created: boolean } {
  try {
    return { key: readNodeKey(path, signer), created: false };
  } catch (error) {
    if (!(error instanceof NodeKeyFileError) || error.problem !== 'missing') throw error;
  }
  const generated = signer.keypair();
  checkConsistency(path, generated, signer);
  const bytes = Buffer.concat([MAGIC, generated.publicKey, generated.secretKey]);
  let created: boolean;
  try {
    created = createFileSafely(path, bytes, PRIVATE_FILE_MODE);
  } finally {
    bytes.fill(0);
  }
  if (created) return { key: generated, created: true };
  // Another thread or process created it meanwhile: its key is the node's.
  generated.secretKey.fill(0);
  return { key: readNodeKey(path, signer), created: false };
}

function checkConsistency(path: string, key: NodeSigningKey, signer: Signer): void {
  let consistent: boolean;
  try {
    consistent = signer.verify(CONSISTENCY_MESSAGE, signer.sign(CONSISTENCY_MESSAGE, key.secretKey), key.publicKey);
  } catch (error) {
    throw new NodeKeyFileError(path, 'inconsistent', `its secret key does not sign (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  if (!consistent) throw new NodeKeyFileError(path, 'inconsistent', "its public key does not verify its secret key's signature");
}
