import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationOrderError, StoreVersionError } from '../../store/errors.js';
import type { Migration } from '../../store/migrations.js';
import {
  MIGRATIONS,
  SCHEMA_VERSION,
  applyMigrations,
  checkMigrationOrder,
  readSchemaVersion,
} from '../../store/migrations.js';
import { useTempDir } from './fixtures/temp-dir.js';

const tempDir = useTempDir();

const one: Migration = { version: 1, name: 'one', sql: 'CREATE TABLE one (x INTEGER)' };
const two: Migration = { version: 2, name: 'two', sql: 'CREATE TABLE two (x INTEGER)' };
const three: Migration = { version: 3, name: 'three', sql: 'CREATE TABLE three (x INTEGER)' };
const broken: Migration = { version: 2, name: 'broken', sql: 'CREATE TABLE two (x INTEGER); NOT SQL AT ALL' };

function tables(db: Database): string[] {
  return db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((row) => row.name);
}

describe('checkMigrationOrder', () => {
  it('accepts versions 1..N in order and returns the same list', () => {
    const list = [one, two, three];
    expect(checkMigrationOrder(list)).toBe(list);
  });

  const invalid: Record<string, Migration[]> = {
    empty: [],
    'not starting at 1': [two, three],
    'with a gap': [one, three],
    'out of order': [two, one],
    'with a duplicate': [one, one],
  };
  for (const [kind, list] of Object.entries(invalid)) {
    it(`throws MigrationOrderError for a list ${kind}`, () => {
      expect(() => checkMigrationOrder(list)).toThrow(MigrationOrderError);
      expect(() => checkMigrationOrder(list)).toThrow(expect.objectContaining({ name: 'MigrationOrderError' }));
    });
  }

  it('holds for the shipped list, whose last version is SCHEMA_VERSION', () => {
    expect(checkMigrationOrder(MIGRATIONS)).toBe(MIGRATIONS);
    expect(MIGRATIONS.at(-1)?.version).toBe(SCHEMA_VERSION);
    for (const migration of MIGRATIONS) expect(migration.name).toMatch(/^[a-z][a-z0-9-]*$/);
  });
});

describe('applyMigrations', () => {
  let db: Database | undefined;
  afterEach(() => {
    db?.close();
    db = undefined;
  });

  function fresh(): { db: Database; file: string } {
    const file = join(tempDir(), 'store.db');
    db = new Sqlite(file);
    return { db, file };
  }

  it('applies only the pending migrations', () => {
    const { db, file } = fresh();
    expect(readSchemaVersion(db)).toBe(0);
    expect(applyMigrations(db, file, [one])).toBe(1);
    // `one` has no IF NOT EXISTS: running it again would throw.
    expect(applyMigrations(db, file, [one, two, three])).toBe(3);
    expect(applyMigrations(db, file, [one, two, three])).toBe(3);
    expect(readSchemaVersion(db)).toBe(3);
    expect(tables(db)).toEqual(['one', 'schema_version', 'three', 'two']);
    expect(db.prepare('SELECT count(*) AS n FROM schema_version').get()).toEqual({ n: 1 });
  });

  it('applies all pending migrations in one transaction: a failure leaves the previous version', () => {
    const { db, file } = fresh();
    expect(() => applyMigrations(db, file, [one, broken])).toThrow(/syntax error/);
    expect(readSchemaVersion(db)).toBe(0);
    expect(tables(db)).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it('refuses a database newer than the list, changing nothing', () => {
    const { db, file } = fresh();
    applyMigrations(db, file, [one, two]);
    let error: unknown;
    try {
      applyMigrations(db, file, [one]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StoreVersionError);
    expect(error).toMatchObject({ name: 'StoreVersionError', file, found: 2, supported: 1 });
    expect(readSchemaVersion(db)).toBe(2);
  });
});
