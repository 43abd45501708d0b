import type { Migration } from '../migrations.js';

/**
 * What the running MAPE-K loop needs beyond migration 2:
 * - held_at / failed_at on incidents: when a plan was held for governance, when the loop gave up
 *   (migration 2 stored only the status, so neither time could be read back);
 * - detector_rules: the analyzer's threshold rules, as data an operator tunes without a release;
 *   seeded with the defaults below (ranks order causes from the most specific symptom);
 * - default policies (cause → candidate actions) seeded the same way; an operator's edits win,
 *   since the seed only inserts what is missing;
 * - injected_faults: every chaos injection with its start, so incidents carry fault_started_at
 *   and diagnosis accuracy is computed from records;
 * - dead_letters: messages taken out of a mailbox (a quarantined poison message, a drained
 *   backlog), kept so an operator can look at them or replay them.
 */
const migration: Migration = {
  version: 3,
  name: 'self-healing',
  sql: `
    ALTER TABLE incidents ADD COLUMN held_at INTEGER;
    ALTER TABLE incidents ADD COLUMN failed_at INTEGER;

    CREATE TABLE detector_rules (
      id          TEXT PRIMARY KEY CHECK (id <> ''),
      metric      TEXT NOT NULL,
      op          TEXT NOT NULL,
      threshold   REAL NOT NULL,
      consecutive INTEGER NOT NULL,
      cause_kind  TEXT NOT NULL,
      confidence  REAL NOT NULL,
      rank        INTEGER NOT NULL,
      enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
      -- An optional second condition on the same source in the same window (both must hold).
      and_metric    TEXT,
      and_op        TEXT,
      and_threshold REAL
    ) STRICT;

    -- A thread whose event loop cannot answer a probe is hung, whatever else it shows.
    INSERT INTO detector_rules (id, metric, op, threshold, consecutive, cause_kind, confidence, rank) VALUES
      ('hung-thread', 'actor.unresponsive', '>=', 1, 1, 'hung-actor', 0.9, 0),
    -- Two crashes on one message: the message is the cause (a restart alone cannot help).
      ('repeat-crash', 'actor.repeat_crashes', '>=', 1, 1, 'crash-loop', 0.9, 1),
    -- Snapshot writes take well under 10 ms on a healthy disk; 150 ms stalls the actor visibly.
      ('slow-writes', 'actor.store_write_ms', '>=', 150, 1, 'slow-store', 0.8, 2),
    -- 16 MiB/s of memory surviving garbage collection is not a working set settling.
      ('retained-growth', 'actor.retained_heap_growth_bps', '>=', 16777216, 1, 'memory-leak', 0.8, 3),
    -- A fifth of the default mailbox capacity: well before senders block or lose messages.
      ('deep-mailbox', 'actor.mailbox_depth', '>=', 2000, 1, 'mailbox-flood', 0.8, 4);
    -- A thread burning half a core or more with no backlog: the work is not coming from its mailbox
    -- (a thread busy with a growing backlog is overloaded, which deep-mailbox names). Its own CPU
    -- time, not its event-loop utilisation, which also grows when the machine is busy and the
    -- thread merely waits for a core.
    INSERT INTO detector_rules (id, metric, op, threshold, consecutive, cause_kind, confidence, rank, and_metric, and_op, and_threshold)
      VALUES ('busy-thread', 'actor.cpu_ratio', '>=', 0.5, 1, 'cpu-hog', 0.75, 5, 'actor.mailbox_depth', '<=', 200);

    INSERT OR IGNORE INTO policies (cause_kind, action_kind, cost, risk) VALUES
      ('crash-loop', 'quarantine-message', 1, 0.1),
      ('crash-loop', 'restart-subtree', 3, 0.3),
      ('hung-actor', 'restart-actor', 1, 0.1),
      ('hung-actor', 'restart-subtree', 3, 0.3),
      ('cpu-hog', 'restart-actor', 1, 0.1),
      ('cpu-hog', 'restart-subtree', 3, 0.3),
      ('memory-leak', 'restart-actor', 1, 0.1),
      ('memory-leak', 'restart-subtree', 3, 0.3),
      ('mailbox-flood', 'shed-topic', 1, 0.2),
      ('mailbox-flood', 'drain-mailbox', 2, 0.4),
      ('slow-store', 'restart-actor', 1, 0.1),
      ('slow-store', 'restart-subtree', 3, 0.3);

    CREATE TABLE injected_faults (
      id          INTEGER PRIMARY KEY,
      kind        TEXT NOT NULL,
      target      TEXT NOT NULL,
      started_at  INTEGER NOT NULL,
      incident_id INTEGER REFERENCES incidents (id)
    ) STRICT;
    CREATE INDEX injected_faults_target ON injected_faults (target, started_at);

    CREATE TABLE dead_letters (
      id       INTEGER PRIMARY KEY,
      actor    TEXT NOT NULL,
      topic    TEXT NOT NULL,
      payload  TEXT CHECK (payload IS NULL OR json_valid(payload)),
      sender   TEXT NOT NULL,
      reason   TEXT NOT NULL,
      at       INTEGER NOT NULL
    ) STRICT;
  `,
};

export default migration;
