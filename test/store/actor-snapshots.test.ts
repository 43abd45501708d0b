import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createActorSnapshotStore } from '../../store/actor-snapshots.js';
import { SnapshotCorruptError } from '../../store/errors.js';
import { openStore } from '../../store/open-store.js';
import { useTempDir } from './fixtures/temp-dir.js';

const tempDir = useTempDir();

describe('createActorSnapshotStore', () => {
  let db: Database | undefined;
  afterEach(() => {
    db?.close();
    db = undefined;
  });

  function open(): { db: Database; file: string } {
    const file = join(tempDir(), 'store.db');
    db = openStore(file);
    return { db, file };
  }

  /** A clock that moves only when told, so updatedAt is exact. */
  function manualClock(start: number): { now: () => number; set(t: number): void } {
    let t = start;
    return { now: () => t, set: (next) => (t = next) };
  }

  const machineSnapshot = {
    status: 'active',
    value: { link: 'up' },
    context: { peers: ['a', 'b'], deadlineAt: 1_700_000_123_456, nested: { n: null, ok: true, f: 0.5 } },
  };

  it('round-trips save, load, list and remove', () => {
    const { db } = open();
    const clock = manualClock(1_000);
    const store = createActorSnapshotStore(db, { now: clock.now });

    expect(store.load('monitor')).toBeUndefined();
    expect(store.list()).toEqual([]);

    store.save('monitor', { snapshot: machineSnapshot, runId: 'run-a', lastSeq: 41 });
    clock.set(2_000);
    store.save('analyzer', { snapshot: { status: 'active', value: 'idle' }, runId: 'run-a', lastSeq: 3 });

    const loaded = store.load('monitor');
    expect(loaded).toEqual({ snapshot: machineSnapshot, runId: 'run-a', lastSeq: 41, updatedAt: 1_000 });
    expect(loaded?.snapshot).not.toBe(machineSnapshot);
    expect(store.list()).toEqual([
      { actorId: 'analyzer', updatedAt: 2_000, lastSeq: 3 },
      { actorId: 'monitor', updatedAt: 1_000, lastSeq: 41 },
    ]);

    clock.set(3_000);
    store.save('monitor', { snapshot: { status: 'done' }, runId: 'run-b', lastSeq: 42 });
    expect(store.load('monitor')).toEqual({ snapshot: { status: 'done' }, runId: 'run-b', lastSeq: 42, updatedAt: 3_000 });
    expect(store.list()).toHaveLength(2);

    store.remove('monitor');
    store.remove('never-saved');
    expect(store.load('monitor')).toBeUndefined();
    expect(store.list()).toEqual([{ actorId: 'analyzer', updatedAt: 2_000, lastSeq: 3 }]);
  });

  it('persists across reopening the file, stamping Date.now by default', () => {
    const { db: first, file } = open();
    const before = Date.now();
    createActorSnapshotStore(first).save('planner', { snapshot: [1, 'two', { three: 3 }], runId: 'r', lastSeq: 0 });
    const after = Date.now();
    first.close();

    db = openStore(file);
    const loaded = createActorSnapshotStore(db).load('planner');
    expect(loaded).toMatchObject({ snapshot: [1, 'two', { three: 3 }], runId: 'r', lastSeq: 0 });
    expect(loaded?.updatedAt).toBeGreaterThanOrEqual(before);
    expect(loaded?.updatedAt).toBeLessThanOrEqual(after);
  });

  it('throws SnapshotCorruptError naming actor and file for a row whose JSON does not parse', () => {
    const { db, file } = open();
    const store = createActorSnapshotStore(db);
    store.save('voter', { snapshot: { ok: true }, runId: 'r', lastSeq: 1 });
    store.save('executor', { snapshot: { ok: true }, runId: 'r', lastSeq: 1 });
    db.prepare('UPDATE actor_snapshots SET snapshot = ? WHERE actor_id = ?').run('{"status": "act', 'voter');

    let error: unknown;
    try {
      store.load('voter');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SnapshotCorruptError);
    expect(error).toMatchObject({ name: 'SnapshotCorruptError', actorId: 'voter', file });
    expect((error as Error).message).toContain(file);
    // The damage stays confined to its row.
    expect(store.load('executor')?.snapshot).toEqual({ ok: true });
    expect(store.list().map((entry) => entry.actorId)).toEqual(['executor', 'voter']);
    store.remove('voter');
    expect(store.load('voter')).toBeUndefined();
  });

  it('refuses a snapshot that is not JSON and a non-integer sequence, storing nothing', () => {
    const { db } = open();
    const store = createActorSnapshotStore(db);
    expect(() => store.save('monitor', { snapshot: undefined, runId: 'r', lastSeq: 1 })).toThrow(TypeError);
    expect(() => store.save('monitor', { snapshot: { big: 1n }, runId: 'r', lastSeq: 1 })).toThrow(TypeError);
    expect(() => store.save('monitor', { snapshot: {}, runId: 'r', lastSeq: 1.5 })).toThrow(/INTEGER/);
    expect(store.list()).toEqual([]);
  });
});
