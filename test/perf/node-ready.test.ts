/**
 * The machinery behind node_ready_ms, on real processes: a bare process's datagram and a real
 * node's READY=1 arrive on the bench's notify socket and are timed; the data directory made by the
 * first start holds the node's store, so the timed start meets an existing one; a process that
 * exits without READY=1 fails the run, saying so.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotifySocket } from '../../perf/fixtures/notify-socket.js';
import { createNodeDataDir, timeBareDatagram, timeNodeReady } from '../../perf/fixtures/node-ready.js';
import { DATABASE_FILE_NAME } from '../../actors/runtime/node.js';

const socket = new NotifySocket();
const made: string[] = [];
afterAll(() => {
  socket.close();
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('node_ready_ms measurement', () => {
  it('times a bare process to its datagram and a node on an existing data directory to READY=1', async () => {
    const bare = await timeBareDatagram(socket);
    expect(bare.ms).toBeGreaterThan(0);
    const dataDir = await createNodeDataDir(socket);
    made.push(dataDir);
    expect(existsSync(join(dataDir, DATABASE_FILE_NAME))).toBe(true);
    const ready = await timeNodeReady(socket, dataDir);
    expect(ready.ms).toBeGreaterThan(0);
    // The process did the work of a node start, not of a bare process.
    expect(ready.cpuMs).toBeGreaterThan(bare.cpuMs);
  });

  it('fails when the node exits before READY=1, with what it said', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-ready-test-'));
    made.push(dir);
    // A file where the data directory should be: the node cannot open its store.
    const notADirectory = join(dir, 'file');
    writeFileSync(notADirectory, 'not a directory');
    await expect(timeNodeReady(socket, notADirectory)).rejects.toThrow(/the node exited with \d+ before READY=1/);
  });
});
