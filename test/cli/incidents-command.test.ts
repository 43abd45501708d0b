/**
 * `x0tta6bl4 incidents` run in this process against a real knowledge base file (the process runs
 * are in test/e2e/self-healing-process.test.ts): read-only, while a writer holds the file, with
 * `--since` as an operator types it, and refusing a data directory no node has used.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { incidentsCommand, parseDuration } from '../../cli/incidents-command.js';
import { DATABASE_FILE_NAME } from '../../actors/runtime/node.js';
import { openStore } from '../../store/open-store.js';
import { createIncidentStore } from '../../store/incidents.js';
import type { IncidentReport } from '../../store/mape-status.js';
import { capturingOutput } from '../helpers/captured-output.js';

let dataDir: string;
let db: Database;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-incidents-'));
  db = openStore(join(dataDir, DATABASE_FILE_NAME));
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const HOUR = 3_600_000;

describe('x0tta6bl4 incidents', () => {
  it('lists the incidents as JSON or as text, only the recent ones with --since, while a writer holds the store', async () => {
    const incidents = createIncidentStore(db);
    const now = Date.now();
    incidents.open({ causeKind: 'cpu-hog', target: 'old', detectedAt: now - 3 * HOUR });
    const recent = incidents.open({ causeKind: 'mailbox-flood', target: 'recent', faultStartedAt: now - 10 * 60_000, detectedAt: now - 9 * 60_000 });
    incidents.mark(recent, 'diagnosed', now - 9 * 60_000 + 50);
    const sizeBefore = statSync(join(dataDir, DATABASE_FILE_NAME)).size;
    // The node keeps writing while an operator reads (WAL readers do not wait for writers).
    db.exec('BEGIN IMMEDIATE');
    try {
      const all = await capturingOutput(() => incidentsCommand({ dataDir, json: true }));
      expect((JSON.parse(all.stdout) as IncidentReport[]).map((incident) => incident.target)).toEqual(['old', 'recent']);
      const since = await capturingOutput(() => incidentsCommand({ dataDir, json: true, since: '1h' }));
      expect(JSON.parse(since.stdout)).toEqual([expect.objectContaining({ id: recent, causeKind: 'mailbox-flood', status: 'diagnosed', actions: [], injected: null })]);
      const text = await capturingOutput(() => incidentsCommand({ dataDir, since: '90m' }));
      expect(text.stdout).toContain('mailbox-flood');
      expect(text.stdout).not.toContain('cpu-hog');
    } finally {
      db.exec('ROLLBACK');
    }
    // Read-only: the file is as the writer left it.
    expect(statSync(join(dataDir, DATABASE_FILE_NAME)).size).toBe(sizeBefore);
  });

  it('refuses a data directory without a knowledge base, naming the file', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'x0tta6bl4-incidents-empty-'));
    try {
      await expect(incidentsCommand({ dataDir: empty })).rejects.toMatchObject({
        name: 'UsageError',
        message: expect.stringContaining(`no knowledge base at ${join(empty, DATABASE_FILE_NAME)}`),
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('reads --since as the ms package does, and refuses what is not a duration', async () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('2h')).toBe(2 * HOUR);
    expect(parseDuration('7d')).toBe(7 * 24 * HOUR);
    expect(parseDuration('1500')).toBe(1_500);
    for (const bad of ['soon', '', '-5m']) expect(() => parseDuration(bad)).toThrow(/is not a duration \(examples: 90s, 10m, 2h, 7d\)/);
    await expect(incidentsCommand({ dataDir, since: 'yesterday' })).rejects.toMatchObject({ name: 'UsageError' });
  });
});
