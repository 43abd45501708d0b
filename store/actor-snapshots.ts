/**
 * Actors' persisted snapshots: one row per actor, replaced on each settled transition and read back
 * when the actor restarts.
 */
import type { Database } from 'better-sqlite3';
import { SnapshotCorruptError } from './errors.js';

export interface StoredActorSnapshot {
  /** The actor's persisted snapshot, as parsed from JSON. */
  snapshot: unknown;
  runId: string;
  /** Sequence number of the last bus message this snapshot includes. */
  lastSeq: number;
  /** When it was saved, ms since the Unix epoch. */
  updatedAt: number;
}

export interface ActorSnapshotRecord {
  /** Must be JSON-serializable (XState's persisted snapshots are). */
  snapshot: unknown;
  runId: string;
  lastSeq: number;
}

export interface ActorSnapshotSummary {
  actorId: string;
  updatedAt: number;
  lastSeq: number;
}

export interface ActorSnapshotStore {
  load(actorId: string): StoredActorSnapshot | undefined;
  save(actorId: string, record: ActorSnapshotRecord): void;
  remove(actorId: string): void;
  /** Every stored snapshot's metadata, ordered by actor id. */
  list(): ActorSnapshotSummary[];
}

export interface ActorSnapshotStoreInit {
  /** Clock for `updatedAt`; the simulation passes its virtual clock. Default Date.now. */
  now?: () => number;
}

interface SnapshotRow {
  snapshot: string;
  runId: string;
  lastSeq: number;
  updatedAt: number;
}

/** `db` must have been opened by openStore (its migrations create the table). */
export function createActorSnapshotStore(db: Database, init: ActorSnapshotStoreInit = {}): ActorSnapshotStore {
  const now = init.now ?? Date.now;
  const selectOne = db.prepare<[string], SnapshotRow>(
    `SELECT snapshot, run_id AS runId, last_seq AS lastSeq, updated_at AS updatedAt
       FROM actor_snapshots WHERE actor_id = ?`,
  );
  const upsert = db.prepare<[string, string, string, number, number]>(
    `INSERT INTO actor_snapshots (actor_id, snapshot, run_id, last_seq, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (actor_id) DO UPDATE SET
         snapshot = excluded.snapshot, run_id = excluded.run_id,
         last_seq = excluded.last_seq, updated_at = excluded.updated_at`,
  );
  const deleteOne = db.prepare<[string]>('DELETE FROM actor_snapshots WHERE actor_id = ?');
  const selectAll = db.prepare<[], ActorSnapshotSummary>(
    `SELECT actor_id AS actorId, updated_at AS updatedAt, last_seq AS lastSeq
       FROM actor_snapshots ORDER BY actor_id`,
  );

  return {
    load(actorId) {
      const row = selectOne.get(actorId);
      if (row === undefined) return undefined;
      let snapshot: unknown;
      try {
        snapshot = JSON.parse(row.snapshot);
      } catch (error) {
        throw new SnapshotCorruptError(db.name, actorId, error instanceof Error ? error.message : String(error), {
          cause: error,
        });
      }
      return { snapshot, runId: row.runId, lastSeq: row.lastSeq, updatedAt: row.updatedAt };
    },
    save(actorId, record) {
      const json = JSON.stringify(record.snapshot);
      // JSON.stringify returns undefined (no throw) for undefined, functions and symbols.
      if (json === undefined) throw new TypeError(`snapshot of actor '${actorId}' is not JSON-serializable`);
      upsert.run(actorId, json, record.runId, record.lastSeq, now());
    },
    remove(actorId) {
      deleteOne.run(actorId);
    },
    list() {
      return selectAll.all();
    },
  };
}
