import type { Migration } from '../migrations.js';

/**
 * What the runtime needs to survive restarts: each actor's persisted XState snapshot.
 * `last_seq` is the sequence number of the last bus message the snapshot includes, so a restarted
 * actor knows where its mailbox resumes; `run_id` tells which run of the node wrote it.
 * STRICT so a wrongly typed value (a float seq, a number as id) fails at write time instead of
 * being stored silently.
 */
const migration: Migration = {
  version: 1,
  name: 'runtime',
  sql: `
    CREATE TABLE actor_snapshots (
      actor_id   TEXT PRIMARY KEY NOT NULL,
      snapshot   TEXT NOT NULL,    -- JSON of the actor's persisted snapshot
      run_id     TEXT NOT NULL,
      last_seq   INTEGER NOT NULL,
      updated_at INTEGER NOT NULL  -- ms since the Unix epoch
    ) STRICT;
  `,
};

export default migration;
