/**
 * Files and directories that hold a node's secrets and state. A key is never written through a
 * path someone else prepared: written to a fresh temporary file created exclusively (O_EXCL) with
 * its final mode, without following a symlink (O_NOFOLLOW), synced, then renamed over the target
 * (rename replaces a symlink, never writes through it), so there is no moment when the key exists
 * with a wider mode. A directory that others can write is refused: whoever can write it can swap
 * the store, the CA key or the sockets under the node.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Owner read and write only: private keys. */
export const PRIVATE_FILE_MODE = 0o600;
/** Readable by all, written by the owner: certificates and bundles meant to be handed out. */
export const PUBLIC_FILE_MODE = 0o644;
/** Owner only: directories holding keys or sockets that grant an identity. */
export const PRIVATE_DIRECTORY_MODE = 0o700;

/** Why a directory or file the node was asked to use is refused. */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Writes `data` to `path` with `mode`, atomically, never through a symlink and never briefly wider than `mode`. */
export function writeFileSafely(path: string, data: string | Uint8Array, mode: number): void {
  const temporary = writeTemporary(path, data, mode);
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Creates `path` with `data` and `mode` unless something is there already (false then, and nothing
 * written): written whole to a temporary file first, then linked to its name, which fails if another
 * thread or process created it meanwhile. The name is on disk when this returns true.
 */
export function createFileSafely(path: string, data: string | Uint8Array, mode: number): boolean {
  const temporary = writeTemporary(path, data, mode);
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
  syncDirectory(dirname(path));
  return true;
}

/** A fresh file beside `path`, created exclusively with its final mode, never through a symlink, holding `data` synced. */
function writeTemporary(path: string, data: string | Uint8Array, mode: number): string {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  return temporary;
}

/** A new name survives a power cut only once its directory is on disk too. */
function syncDirectory(path: string): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes `path` (and its parents) if missing, owner-only, then checks it is a real directory of this
 * process's user that nobody else can write; with `private`, that nobody else can enter either.
 */
export function ensureDirectory(path: string, options: { private: boolean }): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) throw new UnsafePathError(path, 'is a symbolic link; give the directory itself');
  if (!stat.isDirectory()) throw new UnsafePathError(path, 'is not a directory');
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) throw new UnsafePathError(path, `belongs to uid ${stat.uid}, not to this process's uid ${uid}`);
  const mode = stat.mode & 0o777;
  if ((mode & 0o022) !== 0) throw new UnsafePathError(path, `others can write it (mode ${mode.toString(8)}); chmod go-w it`);
  if (options.private && (mode & 0o077) !== 0) throw new UnsafePathError(path, `others can enter it (mode ${mode.toString(8)}); chmod 700 it`);
}

/** Removes a stale Unix socket at `path` (from a crashed run); anything else there is refused, not deleted. */
export function removeStaleSocket(path: string): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stat.isSocket()) throw new UnsafePathError(path, 'exists and is not a socket; the node will not delete it');
  rmSync(path);
}
