/** A real node process: start, status over the socket, signals, exit codes, clean exit. */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { callControl } from '../../cli/control-client.js';
import { nodeStatusSchema, type SupervisorStatus } from '../../actors/runtime/ops/node-status.js';
import { SCHEMA_VERSION } from '../../store/open-store.js';
import { CLI_MAIN, reapAll, startProcess, TEST_NODE_MAIN, waitForFile } from '../helpers/node-process.js';

let dataDir: string;
afterEach(async () => {
  await reapAll();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const fresh = () => (dataDir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-e2e-')));

describe('x0tta6bl4 run', () => {
  it('starts on embedded defaults, answers status over a 0600 socket, and exits 0 on SIGTERM', async () => {
    fresh();
    const node = startProcess([CLI_MAIN, 'run', '--data-dir', dataDir]);
    await node.waitForOutput('"msg":"ready"');
    const socket = join(dataDir, 'control.sock');
    const status = nodeStatusSchema.parse(await callControl(socket, 'status'));
    expect(status.tree.id).toBe('root');
    expect((status.tree as SupervisorStatus).children.map((child) => child.id)).toEqual(['security', 'mape', 'governance', 'learning']);

    const text = startProcess([CLI_MAIN, 'status', '--data-dir', dataDir]);
    expect(await text.exited).toBe(0);
    expect(text.output()).toContain('root  supervisor one_for_one');

    node.kill('SIGTERM');
    expect(await node.exited).toBe(0);
    expect(node.output()).toContain('"msg":"node stopped"');
    expect(existsSync(socket)).toBe(false);
  });

  it('exits 2 naming the key when the configuration is invalid', async () => {
    fresh();
    const file = join(dataDir, 'bad.yaml');
    writeFileSync(file, 'supervision:\n  intensity: many\n');
    const node = startProcess([CLI_MAIN, 'run', '--config', file, '--data-dir', dataDir]);
    expect(await node.exited).toBe(2);
    expect(node.output()).toContain('supervision.intensity');

    const typo = startProcess([CLI_MAIN, 'run', '--data-dir', dataDir], { env: { X0TTA6BL4_SUPERVISON__INTENSITY: '3' } });
    expect(await typo.exited).toBe(2);
    expect(typo.output()).toContain('X0TTA6BL4_SUPERVISON__INTENSITY');
  });

  it('refuses a store written by a newer version with exit 78, naming the file, and leaves it untouched', async () => {
    fresh();
    const file = join(dataDir, 'x0tta6bl4.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE schema_version(version INTEGER NOT NULL); INSERT INTO schema_version VALUES (${SCHEMA_VERSION + 1});`);
    db.close();
    const node = startProcess([CLI_MAIN, 'run', '--data-dir', dataDir]);
    expect(await node.exited).toBe(78);
    expect(node.output()).toContain('StoreVersionError');
    expect(node.output()).toContain(file);
    const after = new Database(file, { readonly: true });
    expect(after.prepare('SELECT version FROM schema_version').pluck().get()).toBe(SCHEMA_VERSION + 1);
    after.close();
  });

  it('refuses a corrupt store with exit 78, naming the file', async () => {
    fresh();
    const file = join(dataDir, 'x0tta6bl4.db');
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const node = startProcess([CLI_MAIN, 'run', '--data-dir', dataDir]);
    expect(await node.exited).toBe(78);
    expect(node.output()).toContain('StoreCorruptError');
    expect(node.output()).toContain(file);
  });
});

describe('a node with worker actors', () => {
  it('exits non-zero when the root supervisor gives up', async () => {
    fresh();
    const node = startProcess([TEST_NODE_MAIN, JSON.stringify({ dataDir, intensity: 1, actors: [{ id: 'a' }, { id: 'b' }] })]);
    await node.waitForOutput('"msg":"ready"');
    const socket = join(dataDir, 'control.sock');
    await callControl(socket, 'crash', { actorId: 'a', kind: 'throw' });
    await node.waitForOutput('"msg":"restarting"');
    await callControl(socket, 'crash', { actorId: 'b', kind: 'exit' });
    expect(await node.exited).toBe(1);
    expect(node.output()).toContain('root supervisor gave up');
    expect(node.output()).toContain('IntensityExceededError');
  });

  it('shuts down cleanly: actors stopped in reverse order, no threads or handles left, the process ends by itself', async () => {
    fresh();
    const node = startProcess([
      TEST_NODE_MAIN,
      JSON.stringify({ dataDir, actors: [{ id: 'a' }, { id: 'b' }, { id: 'c', host: 'inline' }, { id: 'd' }], config: { logLevel: 'debug' } }),
    ]);
    await node.waitForOutput('"msg":"ready"');
    await waitForFile(join(dataDir, 'control.sock'));
    node.kill('SIGINT');
    // Exit code 0 also proves nothing kept the process alive: lingering handles make it exit 1 after
    // 5 s, so no bound on the elapsed time is needed (nor wanted: a loaded machine stretches it).
    expect(await node.exited).toBe(0);
    const stops = [...node.output().matchAll(/"actor":"(\w)","msg":"child stopped"/g)].map((match) => match[1]);
    expect(stops).toEqual(['d', 'c', 'b', 'a']);
    expect(node.output()).not.toContain('open handles');
  });
});
