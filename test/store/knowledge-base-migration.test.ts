import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createActorSnapshotStore } from '../../store/actor-snapshots.js';
import { MIGRATIONS, SCHEMA_VERSION, applyMigrations, readSchemaVersion } from '../../store/migrations.js';
import { openStore } from '../../store/open-store.js';
import { useStoreFile } from './fixtures/store-file.js';

const storeFile = useStoreFile();

const KNOWLEDGE_BASE_TABLES = ['actions', 'anomalies', 'incidents', 'models', 'outcomes', 'policies', 'rollups', 'samples'];
const SELF_HEALING_TABLES = ['dead_letters', 'detector_rules', 'injected_faults'];

function strictTables(db: Database): string[] {
  return db
    .prepare<[], { name: string }>("SELECT name FROM pragma_table_list WHERE schema = 'main' AND strict = 1 ORDER BY name")
    .all()
    .map((row) => row.name);
}

function indexes(db: Database): string[] {
  return db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
    .all()
    .map((row) => row.name);
}

/** The index SQLite picks for `sql`, from EXPLAIN QUERY PLAN. */
function plan(db: Database, sql: string): string {
  return db
    .prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
    .all()
    .map((row) => row.detail)
    .join('; ');
}

describe('migration 2: knowledge base', () => {
  let db: Database | undefined;

  it('is followed by migrations 3 to 8 and, on a fresh file, every table is STRICT, with its indexes', () => {
    expect(MIGRATIONS[1]).toMatchObject({ version: 2, name: 'knowledge-base' });
    expect(MIGRATIONS[2]).toMatchObject({ version: 3, name: 'self-healing' });
    expect(MIGRATIONS[3]).toMatchObject({ version: 4, name: 'load-relative-hog' });
    expect(MIGRATIONS[4]).toMatchObject({ version: 5, name: 'unyielding-hog' });
    expect(MIGRATIONS[5]).toMatchObject({ version: 6, name: 'hog-without-inflow' });
    expect(MIGRATIONS[6]).toMatchObject({ version: 7, name: 'mesh-faults' });
    expect(MIGRATIONS[7]).toMatchObject({ version: 8, name: 'hog-per-input' });
    expect(SCHEMA_VERSION).toBe(8);
    db = storeFile.open();
    expect(readSchemaVersion(db)).toBe(8);
    // Migrations 4 and 5 moved the seeded hog rule to the CPU a thread holds before it yields; 6
    // asked that the thread is not being given a flood of messages, 8 that it spends much CPU on
    // each message or record it handles.
    expect(db.prepare("SELECT metric, threshold, and_metric, and_op, and_threshold FROM detector_rules WHERE id = 'busy-thread'").get()).toEqual({
      metric: 'actor.cpu_burst_ms',
      threshold: 10,
      and_metric: 'actor.cpu_ms_per_input',
      and_op: '>=',
      and_threshold: 5,
    });
    expect(strictTables(db)).toEqual([...KNOWLEDGE_BASE_TABLES, ...SELF_HEALING_TABLES, 'actor_snapshots'].sort());
    expect(indexes(db)).toEqual([
      'actions_incident',
      'actions_one_open_per_target',
      'anomalies_detected_at',
      'anomalies_incident',
      'incidents_detected_at',
      'injected_faults_target',
      'models_one_active_per_kind',
      'outcomes_cause_action',
      'rollups_minute',
      'samples_at',
      'samples_series',
    ]);
  });

  it('serves the store modules\' queries from indexes, not table scans', () => {
    db = storeFile.open();
    expect(plan(db, "SELECT at, value FROM samples WHERE metric = 'm' AND source = 's' AND at >= 0 AND at < 9 ORDER BY at")).toMatch(
      /USING INDEX samples_series/,
    );
    expect(plan(db, 'DELETE FROM samples WHERE at < 5')).toMatch(/USING (COVERING )?INDEX samples_at/);
    expect(plan(db, 'DELETE FROM rollups WHERE minute < 5')).toMatch(/USING (COVERING )?INDEX rollups_minute/);
    expect(plan(db, "SELECT action_kind, sum(success) FROM outcomes WHERE cause_kind = 'c' GROUP BY action_kind")).toMatch(
      /USING INDEX outcomes_cause_action/,
    );
    expect(plan(db, 'SELECT * FROM incidents WHERE detected_at >= 5 ORDER BY detected_at')).toMatch(
      /USING INDEX incidents_detected_at/,
    );
  });

  it('upgrades a version-1 file in place to the latest version, keeping its data', () => {
    const file = join(storeFile.dir(), 'store.db');
    const v1 = new Sqlite(file);
    expect(applyMigrations(v1, file, MIGRATIONS.slice(0, 1))).toBe(1);
    createActorSnapshotStore(v1, { now: () => 7 }).save('monitor', { snapshot: { s: 1 }, runId: 'r', lastSeq: 3 });
    v1.close();

    db = openStore(file);
    expect(readSchemaVersion(db)).toBe(8);
    expect(strictTables(db)).toEqual([...KNOWLEDGE_BASE_TABLES, ...SELF_HEALING_TABLES, 'actor_snapshots'].sort());
    expect(createActorSnapshotStore(db).load('monitor')).toEqual({ snapshot: { s: 1 }, runId: 'r', lastSeq: 3, updatedAt: 7 });
    expect(db.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: 8 }]);
  });

  it('leaves a hog rule an operator has edited as it is', () => {
    const file = join(storeFile.dir(), 'store.db');
    const v4 = new Sqlite(file);
    expect(applyMigrations(v4, file, MIGRATIONS.slice(0, 4))).toBe(4);
    v4.prepare("UPDATE detector_rules SET threshold = 0.8 WHERE id = 'busy-thread'").run();
    v4.close();

    db = openStore(file);
    expect(readSchemaVersion(db)).toBe(8);
    // Neither 5, 6 nor 8 touches it (nor 7, which adds the mesh's rules): each matches only the row as the migration before left it.
    expect(db.prepare("SELECT metric, threshold, and_metric FROM detector_rules WHERE id = 'busy-thread'").get()).toEqual({
      metric: 'actor.cpu_demand',
      threshold: 0.8,
      and_metric: 'actor.mailbox_depth',
    });
  });

  describe('CHECK constraints', () => {
    function seeded(): Database {
      db = storeFile.open();
      db.exec(`
        INSERT INTO incidents (id, status, detected_at) VALUES (1, 'detected', 100);
        INSERT INTO actions (id, incident_id, kind, target, status, started_at) VALUES (1, 1, 'restart', 'a', 'running', 100);
      `);
      return db;
    }

    // Each row is valid except for the one thing its name says, so each rejection is that check's.
    const rejected: Record<string, string> = {
      'an infinite sample value': "INSERT INTO samples (at, source, metric, value) VALUES (1, 's', 'm', 9e999)",
      'a NaN sample value (stored as NULL)': "INSERT INTO samples (at, source, metric, value) VALUES (1, 's', 'm', NULL)",
      'a fractional sample time (STRICT)': "INSERT INTO samples (at, source, metric, value) VALUES (1.5, 's', 'm', 1)",
      'an empty metric': "INSERT INTO samples (at, source, metric, value) VALUES (1, 's', '', 1)",
      'a rollup minute not on a minute': "INSERT INTO rollups VALUES ('m', 's', 60001, 1, 1, 1, 1)",
      'a rollup with min above max': "INSERT INTO rollups VALUES ('m', 's', 60000, 1, 1, 2, 1)",
      'a rollup of no samples': "INSERT INTO rollups VALUES ('m', 's', 60000, 0, 0, 1, 1)",
      'an unknown incident status': "INSERT INTO incidents (status, detected_at) VALUES ('resolved', 1)",
      'a fault starting after its detection': "INSERT INTO incidents (status, fault_started_at, detected_at) VALUES ('detected', 2, 1)",
      'diagnosed before detected': "INSERT INTO incidents (status, detected_at, diagnosed_at) VALUES ('diagnosed', 5, 4)",
      'planned before diagnosed': "INSERT INTO incidents (status, detected_at, diagnosed_at, planned_at) VALUES ('planned', 1, 5, 4)",
      'executed before planned, diagnosis missing':
        "INSERT INTO incidents (status, detected_at, planned_at, executed_at) VALUES ('executing', 1, 5, 4)",
      'recovered before detected, the rest missing':
        "INSERT INTO incidents (status, detected_at, recovered_at) VALUES ('recovered', 5, 4)",
      'recovered before executed': "INSERT INTO incidents (status, detected_at, executed_at, recovered_at) VALUES ('recovered', 1, 5, 4)",
      'a confidence above 1': "INSERT INTO incidents (status, detected_at, confidence) VALUES ('detected', 1, 1.5)",
      'incident detail that is not JSON': "INSERT INTO incidents (status, detected_at, detail) VALUES ('detected', 1, '{oops')",
      'an anomaly severity above 1':
        "INSERT INTO anomalies (detected_at, detector, source, metrics, severity) VALUES (1, 'z', 's', '[\"m\"]', 1.01)",
      'anomaly metrics that are not an array':
        "INSERT INTO anomalies (detected_at, detector, source, metrics, severity) VALUES (1, 'z', 's', '{\"m\":1}', 0.5)",
      'an anomaly of an unknown incident':
        "INSERT INTO anomalies (incident_id, detected_at, detector, source, metrics, severity) VALUES (99, 1, 'z', 's', '[]', 0.5)",
      'a policy risk above 1': "INSERT INTO policies (cause_kind, action_kind, risk) VALUES ('c', 'a', 2)",
      'a second policy for one cause and action': "INSERT INTO policies (cause_kind, action_kind) VALUES ('c', 'x'), ('c', 'x')",
      'a policy enabled flag of 2': "INSERT INTO policies (cause_kind, action_kind, enabled) VALUES ('c', 'a', 2)",
      'an unknown action status': "INSERT INTO actions (incident_id, kind, target, status) VALUES (1, 'k', 'b', 'done')",
      'an action of an unknown incident': "INSERT INTO actions (incident_id, kind, target, status) VALUES (99, 'k', 'b', 'pending')",
      'an action finishing before it started':
        "INSERT INTO actions (incident_id, kind, target, status, started_at, finished_at) VALUES (1, 'k', 'b', 'failed', 5, 4)",
      'a second open action on one target': "INSERT INTO actions (incident_id, kind, target, status) VALUES (1, 'k', 'a', 'pending')",
      'an outcome success of 2':
        "INSERT INTO outcomes (action_id, incident_id, cause_kind, action_kind, success, verified_at) VALUES (1, 1, 'c', 'k', 2, 1)",
      'an outcome of an unknown action':
        "INSERT INTO outcomes (action_id, incident_id, cause_kind, action_kind, success, verified_at) VALUES (9, 1, 'c', 'k', 1, 1)",
      'a model hash that is not 64 hex digits':
        "INSERT INTO models (kind, version, created_at, path, sha256) VALUES ('g', 1, 1, 'p', 'xyz')",
      'two active models of one kind': `INSERT INTO models (kind, version, created_at, path, sha256, active)
        VALUES ('g', 1, 1, 'p', '${'a'.repeat(64)}', 1), ('g', 2, 1, 'p', '${'b'.repeat(64)}', 1)`,
    };
    for (const [what, sql] of Object.entries(rejected)) {
      it(`reject ${what}`, () => {
        const db = seeded();
        expect(() => db.prepare(sql).run()).toThrow(expect.objectContaining({ code: expect.stringMatching(/^SQLITE_CONSTRAINT/) }));
      });
    }

    it('accept valid rows, including phases with gaps, finished actions freeing their target and extreme finite values', () => {
      const db = seeded();
      db.exec(`
        INSERT INTO samples (at, source, metric, value) VALUES (0, 's', 'm', 1.7976931348623157e308), (1, 's', 'm', -1.7976931348623157e308);
        INSERT INTO rollups VALUES ('m', 's', 120000, 2, 3, 1, 2);
        INSERT INTO incidents (status, fault_started_at, detected_at, diagnosed_at, planned_at, executed_at, recovered_at, detail)
          VALUES ('recovered', 1, 2, 2, 3, 3, 9, '{"k":[1]}');
        INSERT INTO incidents (status, detected_at, executed_at, recovered_at) VALUES ('recovered', 1, 4, 4);
        INSERT INTO anomalies (incident_id, detected_at, detector, source, metrics, severity) VALUES (1, 1, 'z', 's', '["m"]', 1);
        INSERT INTO policies (cause_kind, action_kind) VALUES ('c', 'a'), ('c', 'b');
        UPDATE actions SET status = 'succeeded', finished_at = 100 WHERE id = 1;
        INSERT INTO actions (incident_id, kind, target, status) VALUES (1, 'k', 'a', 'pending');
        INSERT INTO outcomes (action_id, incident_id, cause_kind, action_kind, success, verified_at) VALUES (1, 1, 'c', 'restart', 1, 101);
        INSERT INTO models (kind, version, created_at, path, sha256, active)
          VALUES ('g', 1, 1, 'p', '${'a'.repeat(64)}', 0), ('g', 2, 1, 'p', '${'b'.repeat(64)}', 1);
      `);
      expect(db.prepare('SELECT preconditions, cost, risk, enabled FROM policies WHERE action_kind = ?').get('a')).toEqual({
        preconditions: '{}',
        cost: 1,
        risk: 0,
        enabled: 1,
      });
      expect(db.prepare('SELECT count(*) AS n FROM incidents').get()).toEqual({ n: 3 });
    });
  });
});
