import { randomBytes } from 'node:crypto';
import { existsSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreCorruptError, StoreOpenError, StoreVersionError } from '../../store/errors.js';
import { MIGRATIONS } from '../../store/migrations.js';
import { DEFAULT_BUSY_TIMEOUT_MS, SCHEMA_VERSION, openStore } from '../../store/open-store.js';
import type { OpenReport, OpenRequest } from './fixtures/open-store-worker.js';
import { useTempDir } from './fixtures/temp-dir.js';

const tempDir = useTempDir();

function versionRows(file: string): Array<{ version: number }> {
  const db = new Sqlite(file, { readonly: true });
  try {
    return db.prepare<[], { version: number }>('SELECT version FROM schema_version').all();
  } finally {
    db.close();
  }
}

/** Runs `open` and returns what it threw, failing the test if it did not throw. */
function thrownBy(open: () => unknown): unknown {
  try {
    open();
  } catch (error) {
    return error;
  }
  throw new Error('expected openStore to throw');
}

describe('openStore pragmas', () => {
  it('sets WAL, synchronous NORMAL, foreign keys and the default busy timeout', () => {
    const db = openStore(join(tempDir(), 'store.db'));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(DEFAULT_BUSY_TIMEOUT_MS);
      expect(DEFAULT_BUSY_TIMEOUT_MS).toBe(5_000);
    } finally {
      db.close();
    }
  });

  it('honours busyTimeoutMs and rejects a negative or fractional one', () => {
    const db = openStore(join(tempDir(), 'store.db'), { busyTimeoutMs: 1_234 });
    try {
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1_234);
    } finally {
      db.close();
    }
    expect(() => openStore(join(tempDir(), 'store.db'), { busyTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => openStore(join(tempDir(), 'store.db'), { busyTimeoutMs: 1.5 })).toThrow(RangeError);
  });

  it('creates missing parent directories', () => {
    const file = join(tempDir(), 'a', 'b', 'store.db');
    openStore(file).close();
    expect(existsSync(file)).toBe(true);
  });
});

describe('openStore migrations', () => {
  it('applies every migration once, recording SCHEMA_VERSION in a single row', () => {
    const file = join(tempDir(), 'store.db');
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    const db = openStore(file);
    const columns = db
      .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('actor_snapshots') ORDER BY cid")
      .all()
      .map((column) => column.name);
    db.close();
    expect(columns).toEqual(['actor_id', 'snapshot', 'run_id', 'last_seq', 'updated_at']);
    expect(versionRows(file)).toEqual([{ version: SCHEMA_VERSION }]);
  });

  it('is idempotent on reopen and keeps the data', () => {
    const file = join(tempDir(), 'store.db');
    const first = openStore(file);
    first
      .prepare('INSERT INTO actor_snapshots VALUES (?, ?, ?, ?, ?)')
      .run('monitor', '{}', 'run-1', 7, 1_700_000_000_000);
    first.close();
    for (let i = 0; i < 3; i++) openStore(file).close();
    const db = openStore(file);
    const rows = db.prepare('SELECT actor_id, last_seq FROM actor_snapshots').all();
    db.close();
    expect(rows).toEqual([{ actor_id: 'monitor', last_seq: 7 }]);
    expect(versionRows(file)).toEqual([{ version: SCHEMA_VERSION }]);
  });

  describe('concurrent openers', () => {
    const WORKERS = 3;
    /**
     * The race is won or lost in microseconds: with a bare `journal_mode = WAL` and no retry about
     * one round in 25 failed here, so 100 rounds (about a second) catch such a regression nearly
     * every run.
     */
    const ROUNDS = 100;
    let workers: Worker[] = [];

    afterEach(async () => {
      await Promise.all(workers.map((worker) => worker.terminate()));
      workers = [];
    });

    function nextReport(worker: Worker): Promise<OpenReport> {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        worker.once('error', onError);
        worker.once('message', (report: OpenReport) => {
          worker.off('error', onError);
          resolve(report);
        });
      });
    }

    it('lets worker threads and the main thread open one fresh file at the same instant', async () => {
      const gate = new Int32Array(new SharedArrayBuffer(4));
      const fixture = new URL('./fixtures/open-store-worker.js', import.meta.url);
      workers = Array.from({ length: WORKERS }, () => new Worker(fixture, { workerData: { gate } }));

      for (let round = 1; round <= ROUNDS; round++) {
        const file = join(tempDir(), `race-${round}.db`);
        const armed = workers.map((worker) => nextReport(worker));
        for (const worker of workers) worker.postMessage({ file, round } satisfies OpenRequest);
        expect(await Promise.all(armed)).toEqual(workers.map(() => ({ kind: 'armed' })));
        const results = workers.map((worker) => nextReport(worker));

        Atomics.store(gate, 0, round);
        Atomics.notify(gate, 0);
        const db = openStore(file);
        const mainVersion = db.prepare<[], { version: number }>('SELECT version FROM schema_version').get()?.version;
        db.close();

        expect(mainVersion).toBe(SCHEMA_VERSION);
        expect(await Promise.all(results)).toEqual(
          workers.map(() => ({ kind: 'opened', version: SCHEMA_VERSION, journalMode: 'wal' })),
        );
        expect(versionRows(file)).toEqual([{ version: SCHEMA_VERSION }]);
      }
    });
  });
});

describe('openStore refusals', () => {
  /**
   * The database file's bytes, and whether any WAL holds frames that a later open would fold into
   * it. (A read-only connection may leave an empty -wal and -shm behind: SQLite lets only a
   * writer remove them, and they carry no data.)
   */
  function fileState(file: string): { bytes: Buffer; walBytes: number } {
    const wal = `${file}-wal`;
    return { bytes: readFileSync(file), walBytes: existsSync(wal) ? readFileSync(wal).length : 0 };
  }

  const newerStores: Record<string, (file: string) => void> = {
    'a WAL store written by this build': (file) => {
      openStore(file).close();
      const db = new Sqlite(file);
      db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
      db.close();
    },
    'a rollback-journal file': (file) => {
      const db = new Sqlite(file);
      db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
      db.prepare('INSERT INTO schema_version VALUES (?)').run(SCHEMA_VERSION + 1);
      db.close();
    },
  };

  for (const [kind, create] of Object.entries(newerStores)) {
    it(`refuses ${kind} with a newer schema version and leaves it unchanged`, () => {
      const dir = tempDir();
      const file = join(dir, 'newer.db');
      create(file);
      const before = fileState(file);
      expect(before.walBytes).toBe(0);

      for (const readonly of [false, true]) {
        const error = thrownBy(() => openStore(file, { readonly }));
        expect(error).toBeInstanceOf(StoreVersionError);
        expect(error).toMatchObject({
          name: 'StoreVersionError',
          file,
          found: SCHEMA_VERSION + 1,
          supported: SCHEMA_VERSION,
        });
        expect((error as Error).message).toContain(file);
      }
      expect(fileState(file)).toEqual(before);
    });
  }

  function expectCorrupt(file: string): void {
    for (const readonly of [false, true]) {
      const error = thrownBy(() => openStore(file, { readonly }));
      expect(error).toBeInstanceOf(StoreCorruptError);
      expect(error).toMatchObject({ name: 'StoreCorruptError', file });
      expect((error as Error).message).toContain(file);
    }
  }

  /** A real store with a few rows, closed cleanly (so the WAL is folded into the file). */
  function realStore(file: string): number {
    const db = openStore(file);
    const insert = db.prepare('INSERT INTO actor_snapshots VALUES (?, ?, ?, ?, ?)');
    for (let i = 0; i < 50; i++) insert.run(`actor-${i}`, JSON.stringify({ i }), 'run', i, i);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    return pageSize;
  }

  function overwrite(file: string, offset: number, bytes: Buffer): void {
    const fd = openSync(file, 'r+');
    try {
      writeSync(fd, bytes, 0, bytes.length, offset);
    } finally {
      closeSync(fd);
    }
  }

  it('refuses a file of random bytes as corrupt', () => {
    const file = join(tempDir(), 'random.db');
    writeFileSync(file, randomBytes(16 * 1024));
    expectCorrupt(file);
  });

  it('refuses a real store whose header page is overwritten as corrupt', () => {
    const file = join(tempDir(), 'store.db');
    const pageSize = realStore(file);
    overwrite(file, 0, randomBytes(pageSize));
    expectCorrupt(file);
  });

  it('refuses a real store whose schema b-tree is damaged (magic header intact) as corrupt', () => {
    const file = join(tempDir(), 'store.db');
    const pageSize = realStore(file);
    // Page 1 after the 100-byte database header holds sqlite_master's b-tree page header.
    overwrite(file, 100, Buffer.alloc(pageSize - 100, 0xff));
    expectCorrupt(file);
  });

  it('reports a parent path that is a file as StoreOpenError with the errno code', () => {
    const blocker = join(tempDir(), 'not-a-dir');
    writeFileSync(blocker, 'x');
    const file = join(blocker, 'store.db');
    const error = thrownBy(() => openStore(file));
    expect(error).toBeInstanceOf(StoreOpenError);
    expect(error).toMatchObject({ name: 'StoreOpenError', file });
    expect((error as StoreOpenError).code).toMatch(/^E[A-Z]+$/);
    expect((error as Error).message).toContain(file);
  });

  it('reports a missing file or directory opened read-only as StoreOpenError ENOENT, creating nothing', () => {
    for (const file of [join(tempDir(), 'store.db'), join(tempDir(), 'missing', 'store.db')]) {
      const error = thrownBy(() => openStore(file, { readonly: true }));
      expect(error).toMatchObject({ name: 'StoreOpenError', file, code: 'ENOENT' });
    }
    expect(readdirSync(tempDir())).toEqual([]);
  });

  it('reports a lock held past the busy timeout as StoreOpenError SQLITE_BUSY', () => {
    const file = join(tempDir(), 'locked.db');
    const holder = new Sqlite(file);
    holder.exec('CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);');
    try {
      const error = thrownBy(() => openStore(file, { busyTimeoutMs: 50 }));
      expect(error).toMatchObject({ name: 'StoreOpenError', file, code: 'SQLITE_BUSY' });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    openStore(file).close();
  });

  it('waits for a write lock held by another thread before switching a fresh file to WAL', async () => {
    const file = join(tempDir(), 'write-locked.db');
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const holder = new Worker(new URL('./fixtures/lock-holder-worker.js', import.meta.url), {
      workerData: { file, holdMs: 200, gate },
    });
    try {
      const messages: unknown[] = [];
      const released = new Promise<void>((resolve, reject) => {
        holder.on('error', reject);
        holder.on('message', (message: unknown) => {
          messages.push(message);
          if (message === 'released') resolve();
        });
      });
      await new Promise((resolve) => holder.once('message', resolve));
      expect(messages).toEqual(['locked']);
      // The holder keeps the lock 200 ms from here. SQLite's busy handler does not cover the switch
      // to WAL (it upgrades a read lock to a write lock); openStore's own retry must wait it out.
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      const db = openStore(file);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT count(*) AS n FROM held').get()).toEqual({ n: 1 });
      db.close();
      await released;
      expect(messages).toEqual(['locked', 'released']);
    } finally {
      await holder.terminate();
    }
  });

  it('gives up switching to WAL after the busy timeout while another connection holds the write lock', () => {
    const file = join(tempDir(), 'write-locked.db');
    const holder = new Sqlite(file);
    holder.exec('CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);');
    try {
      const error = thrownBy(() => openStore(file, { busyTimeoutMs: 100 }));
      expect(error).toMatchObject({ name: 'StoreOpenError', file, code: 'SQLITE_BUSY' });
    } finally {
      holder.exec('COMMIT');
      holder.close();
    }
    const db = openStore(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});

describe('openStore read-only', () => {
  it('reads a migrated store and cannot write to it', () => {
    const file = join(tempDir(), 'store.db');
    openStore(file).close();
    const db = openStore(file, { readonly: true });
    try {
      expect(db.readonly).toBe(true);
      expect(db.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: SCHEMA_VERSION }]);
      expect(() => db.exec('DELETE FROM actor_snapshots')).toThrow(/readonly/);
    } finally {
      db.close();
    }
  });

  it('does not migrate an older file', () => {
    const file = join(tempDir(), 'empty.db');
    const raw = new Sqlite(file);
    raw.exec('CREATE TABLE other (x)');
    raw.close();
    openStore(file, { readonly: true }).close();
    const db = new Sqlite(file, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    const mode = db.pragma('journal_mode', { simple: true });
    db.close();
    expect(tables).toEqual([{ name: 'other' }]);
    expect(mode).toBe('delete');
  });
});
