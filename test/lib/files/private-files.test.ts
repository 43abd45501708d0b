/** Keys and state on disk against a local user who prepares the paths (issue 13, hole 8), on real files. */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDirectory, PRIVATE_FILE_MODE, removeStaleSocket, UnsafePathError, writeFileSafely } from '../../../lib/files/private-files.js';
import { CLI_MAIN } from '../../helpers/node-process.js';

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-files-'));
  dirs.push(dir);
  return dir;
}

const modeOf = (path: string) => lstatSync(path).mode & 0o777;

describe('writing a key', () => {
  it('replaces a symlink planted at its path instead of writing through it', () => {
    const dir = scratch();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'not yours');
    symlinkSync(victim, join(dir, 'key.pem'));
    writeFileSafely(join(dir, 'key.pem'), 'SECRET', PRIVATE_FILE_MODE);
    expect(readFileSync(victim, 'utf8')).toBe('not yours');
    expect(lstatSync(join(dir, 'key.pem')).isFile()).toBe(true);
    expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toBe('SECRET');
  });

  it('gives a key 0600 even where a world-readable file stood, and leaves no temporary file', () => {
    const dir = scratch();
    const key = join(dir, 'key.pem');
    writeFileSync(key, 'old', { mode: 0o644 });
    writeFileSafely(key, 'new', PRIVATE_FILE_MODE);
    expect(modeOf(key)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['key.pem']);
  });
});

describe('directories', () => {
  it('creates a missing one owner-only', () => {
    const dir = join(scratch(), 'a', 'b');
    ensureDirectory(dir, { private: true });
    expect(modeOf(dir)).toBe(0o700);
  });

  it('refuses one others can write, one others can enter when it must be private, and a symlink', () => {
    const base = scratch();
    const open = join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(() => ensureDirectory(open, { private: false })).toThrow(UnsafePathError);
    expect(() => ensureDirectory(open, { private: false })).toThrow(/others can write it \(mode 777\)/);
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o750);
    expect(() => ensureDirectory(shared, { private: false })).not.toThrow();
    expect(() => ensureDirectory(shared, { private: true })).toThrow(/others can enter it \(mode 750\)/);
    const link = join(base, 'link');
    symlinkSync(shared, link);
    expect(() => ensureDirectory(link, { private: false })).toThrow(/symbolic link/);
  });

  it('keeps a node from starting in a data directory others can write', () => {
    const dir = join(scratch(), 'data');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const run = spawnSync(process.execPath, [CLI_MAIN, 'run'], { env: { ...process.env, X0TTA6BL4_DATA_DIR: dir }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toContain(`${dir}: others can write it (mode 777); chmod go-w it`);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a stale socket', () => {
  it('is removed when it is a socket, and anything else at the path is refused and kept', async () => {
    const dir = scratch();
    const path = join(dir, 'workload.sock');
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    // A listener that died without unlinking leaves the socket file behind.
    expect(statSync(path).isSocket()).toBe(true);
    removeStaleSocket(path);
    expect(existsSync(path)).toBe(false);
    removeStaleSocket(path);
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'precious');
    expect(() => removeStaleSocket(file)).toThrow(/is not a socket/);
    expect(readFileSync(file, 'utf8')).toBe('precious');
  });
});
