/**
 * Numbered schema migrations: the list is checked when this module loads, and applying brings a
 * database to the latest version in one transaction.
 */
import type { Database } from 'better-sqlite3';
import { MigrationOrderError, StoreVersionError } from './errors.js';
import { migrations } from './migrations/index.js';

export interface Migration {
  /** 1 for the first migration, then each next integer. */
  readonly version: number;
  /** Short name for logs and error messages: the migration's file name without its number. */
  readonly name: string;
  /** One or more SQL statements, run with `exec`. */
  readonly sql: string;
}

/** Returns the list unchanged when its versions are exactly 1..N in order; throws MigrationOrderError if not. */
export function checkMigrationOrder(list: readonly Migration[]): readonly Migration[] {
  if (list.length === 0) throw new MigrationOrderError('it is empty');
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new MigrationOrderError(
        `position ${index + 1} holds version ${migration.version} ('${migration.name}'); versions must be 1..N in order`,
      );
    }
  });
  return list;
}

export const MIGRATIONS = checkMigrationOrder(migrations);

/** The schema version this build writes and understands: the last migration's. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The database's schema version: 0 for a database no migration has touched. */
export function readSchemaVersion(db: Database): number {
  const table = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .get();
  if (table === undefined) return 0;
  const row = db.prepare<[], { version: number | null }>('SELECT max(version) AS version FROM schema_version').get();
  return row?.version ?? 0;
}

/** Throws StoreVersionError when the database was written by a build newer than `migrations` knows. */
export function refuseNewerVersion(db: Database, file: string, list: readonly Migration[] = MIGRATIONS): void {
  const supported = list[list.length - 1]?.version ?? 0;
  const found = readSchemaVersion(db);
  if (found > supported) throw new StoreVersionError(file, found, supported);
}

/**
 * Applies every pending migration in one `BEGIN IMMEDIATE` transaction and returns the resulting
 * version. IMMEDIATE takes the write lock before the version is read, so when several threads or
 * processes open a fresh file at once, one migrates and the others wait (busy timeout), then find
 * nothing left to do. One transaction for all: a failure leaves the file at its previous version.
 */
export function applyMigrations(db: Database, file: string, list: readonly Migration[] = MIGRATIONS): number {
  checkMigrationOrder(list);
  const migrate = db.transaction((): number => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    refuseNewerVersion(db, file, list);
    const current = readSchemaVersion(db);
    const pending = list.filter((migration) => migration.version > current);
    if (pending.length === 0) return current;
    for (const migration of pending) db.exec(migration.sql);
    const latest = pending[pending.length - 1]!.version;
    db.exec('DELETE FROM schema_version');
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(latest);
    return latest;
  });
  return migrate.immediate();
}
