/**
 * Opening the node's SQLite store: the one place that decides pragmas, refuses damaged or
 * too-new files with typed errors, and brings the schema up to date.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { StoreCorruptError, StoreError, StoreOpenError } from './errors.js';
import { applyMigrations, refuseNewerVersion } from './migrations.js';

export { SCHEMA_VERSION } from './migrations.js';

/**
 * How long a statement waits for another connection's lock before failing with SQLITE_BUSY.
 * Every actor thread holds its own connection to the one file, so writers queue on WAL's single
 * write lock; the longest ordinary holder is a checkpoint or a migration on first open, well under
 * a second. 5 s rides those out with room to spare, yet still surfaces a stuck writer as an error
 * long before a supervisor's liveness deadline would blame the waiting actor instead.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * Longest pause between two attempts to switch to WAL. The other opener holds the lock only for
 * its own switch and migrations, a few ms, so short pauses; the cap keeps a long wait from
 * overshooting the deadline by much.
 */
const MAX_WAL_RETRY_PAUSE_MS = 20;

export interface OpenStoreOptions {
  /** Open without writing: no directory created, no migration, no pragma that changes the file. */
  readonly?: boolean;
  /** Lock wait in ms; default DEFAULT_BUSY_TIMEOUT_MS. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the store at `file`, sets its pragmas and applies pending migrations.
 * Throws StoreCorruptError, StoreVersionError or StoreOpenError, each naming the file.
 */
export function openStore(file: string, options: OpenStoreOptions = {}): Database {
  const readonly = options.readonly ?? false;
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
  }

  let db: Database | undefined;
  try {
    if (!readonly) {
      // Owner-only when the store creates it (the node checks the data directory it is given:
      // actors/runtime/node.ts).
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    } else if (!existsSync(file)) {
      // Checked here so a missing file gets one code whether or not its directory exists (SQLite
      // says SQLITE_CANTOPEN, better-sqlite3 throws a code-less TypeError for a missing directory).
      throw new StoreOpenError(file, 'ENOENT', 'no such file, and a read-only open does not create one');
    }
    db = new Sqlite(file, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // SQLite opens lazily: a damaged or foreign file only fails on its first read. Reading the
    // schema touches the header page and sqlite_master, cheaply (quick_check would read the
    // whole file), and turns SQLITE_NOTADB / SQLITE_CORRUPT into StoreCorruptError here.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    // Before anything that writes (the switch to WAL rewrites the header), so a file from a newer
    // build is left exactly as it was.
    refuseNewerVersion(db, file);
    if (!readonly) enableWal(db, file, busyTimeoutMs);
    // NORMAL in WAL mode: a commit survives a crash of the process (what supervision restarts
    // recover from); only a power loss may drop the last commits, never corrupt the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (!readonly) applyMigrations(db, file);
    return db;
  } catch (error) {
    db?.close();
    throw toStoreError(file, error);
  }
}

/**
 * Switches the file to WAL (a no-op when it already is), retrying SQLITE_BUSY for up to the busy
 * timeout. The retry is ours because SQLite's busy handler does not run here: the switch upgrades
 * a read transaction to a write one, and SQLite never waits on such an upgrade (two upgraders
 * waiting on each other would deadlock). So several threads opening a fresh file at once would
 * otherwise fail at once instead of queueing.
 */
function enableWal(db: Database, file: string, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, MAX_WAL_RETRY_PAUSE_MS)) {
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new StoreOpenError(file, undefined, `journal_mode stays '${String(mode)}', WAL is required`);
      }
      return;
    } catch (error) {
      if (errorCode(error) !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
    }
    sleepSync(pauseMs);
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread, like SQLite's own busy handler does: openStore is synchronous throughout. */
function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function toStoreError(file: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT')) {
    return new StoreCorruptError(file, detail, { cause: error });
  }
  return new StoreOpenError(file, code, detail, { cause: error });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
