import type { Migration } from '../migrations.js';

/**
 * The MAPE-K knowledge base: what the monitor measured (raw samples and their per-minute rollups),
 * what the analyzer found (anomalies), each incident with the timestamps of every phase (so MTTD
 * and MTTR are computed from records), what the executor did (actions) and how it went (outcomes),
 * the planner's policy table, and the analyzer's published models.
 *
 * STRICT everywhere, as in 001. The CHECKs hold the invariants other code relies on, so a buggy
 * writer fails at write time instead of skewing the numbers later: incident phases in time order
 * (a negative MTTR would be silently averaged in), severities and risks in [0, 1], JSON columns
 * valid JSON, finite sample values (NaN arrives as NULL and fails NOT NULL; infinities fail the range).
 * Times are ms since the Unix epoch throughout.
 */
const migration: Migration = {
  version: 2,
  name: 'knowledge-base',
  sql: `
    CREATE TABLE samples (
      id     INTEGER PRIMARY KEY,
      at     INTEGER NOT NULL CHECK (at >= 0),
      source TEXT NOT NULL CHECK (source <> ''),  -- actor id, or 'process' for the node as a whole
      metric TEXT NOT NULL CHECK (metric <> ''),
      value  REAL NOT NULL CHECK (value BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308)
    ) STRICT;
    -- window(metric, source, from, to) reads one series in time order.
    CREATE INDEX samples_series ON samples (metric, source, at);
    -- Retention rolls up and deletes everything older than a cut-off, across all series.
    CREATE INDEX samples_at ON samples (at);

    CREATE TABLE rollups (
      metric TEXT NOT NULL,
      source TEXT NOT NULL,
      minute INTEGER NOT NULL CHECK (minute >= 0 AND minute % 60000 = 0),  -- start of the minute
      count  INTEGER NOT NULL CHECK (count > 0),
      sum    REAL NOT NULL,
      min    REAL NOT NULL,
      max    REAL NOT NULL,
      CHECK (min <= max),
      PRIMARY KEY (metric, source, minute)
    ) STRICT, WITHOUT ROWID;
    -- Pruning deletes every series' old minutes at once; the primary key leads with metric.
    CREATE INDEX rollups_minute ON rollups (minute);

    CREATE TABLE incidents (
      id               INTEGER PRIMARY KEY,
      cause_kind       TEXT,     -- NULL until diagnosed
      target           TEXT,     -- the actor or resource the diagnosis blames
      status           TEXT NOT NULL
                       CHECK (status IN ('detected','diagnosed','planned','held','executing','recovered','failed')),
      confidence       REAL CHECK (confidence IS NULL OR confidence BETWEEN 0 AND 1),
      fault_started_at INTEGER,  -- known only for injected faults
      detected_at      INTEGER NOT NULL,
      diagnosed_at     INTEGER,
      planned_at       INTEGER,
      executed_at      INTEGER,
      recovered_at     INTEGER,
      detail           TEXT CHECK (detail IS NULL OR json_valid(detail)),
      -- Each present phase is no earlier than the latest present phase before it, so the present
      -- ones are in order whichever are missing (a fault can recover before it was diagnosed).
      CHECK (fault_started_at IS NULL OR fault_started_at <= detected_at),
      CHECK (diagnosed_at IS NULL OR diagnosed_at >= detected_at),
      CHECK (planned_at IS NULL OR planned_at >= coalesce(diagnosed_at, detected_at)),
      CHECK (executed_at IS NULL OR executed_at >= coalesce(planned_at, diagnosed_at, detected_at)),
      CHECK (recovered_at IS NULL OR recovered_at >= coalesce(executed_at, planned_at, diagnosed_at, detected_at))
    ) STRICT;
    -- list({sinceMs}) and the CLI's --since.
    CREATE INDEX incidents_detected_at ON incidents (detected_at);

    CREATE TABLE anomalies (
      id          INTEGER PRIMARY KEY,
      incident_id INTEGER REFERENCES incidents (id),  -- NULL until an incident takes it up
      detected_at INTEGER NOT NULL,
      detector    TEXT NOT NULL,
      source      TEXT NOT NULL,
      metrics     TEXT NOT NULL CHECK (json_valid(metrics) AND json_type(metrics) = 'array'),
      severity    REAL NOT NULL CHECK (severity BETWEEN 0 AND 1),
      detail      TEXT CHECK (detail IS NULL OR json_valid(detail))
    ) STRICT;
    CREATE INDEX anomalies_incident ON anomalies (incident_id);
    CREATE INDEX anomalies_detected_at ON anomalies (detected_at);

    CREATE TABLE policies (
      id            INTEGER PRIMARY KEY,
      cause_kind    TEXT NOT NULL,
      action_kind   TEXT NOT NULL,
      preconditions TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(preconditions)),
      cost          REAL NOT NULL DEFAULT 1 CHECK (cost >= 0),
      risk          REAL NOT NULL DEFAULT 0 CHECK (risk BETWEEN 0 AND 1),
      enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
      UNIQUE (cause_kind, action_kind)
    ) STRICT;

    CREATE TABLE actions (
      id          INTEGER PRIMARY KEY,
      incident_id INTEGER NOT NULL REFERENCES incidents (id),
      kind        TEXT NOT NULL,
      target      TEXT NOT NULL,
      params      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
      status      TEXT NOT NULL CHECK (status IN ('pending','running','succeeded','failed','rolled_back')),
      started_at  INTEGER,
      finished_at INTEGER,
      CHECK (finished_at IS NULL OR started_at IS NULL OR finished_at >= started_at)
    ) STRICT;
    CREATE INDEX actions_incident ON actions (incident_id);
    -- One action per target at a time (issue 3, executor): two unfinished actions on one target
    -- cannot both be stored, whichever executor thread or restart tries.
    CREATE UNIQUE INDEX actions_one_open_per_target ON actions (target) WHERE status IN ('pending','running');

    CREATE TABLE outcomes (
      id          INTEGER PRIMARY KEY,
      action_id   INTEGER NOT NULL REFERENCES actions (id),
      incident_id INTEGER NOT NULL REFERENCES incidents (id),
      cause_kind  TEXT NOT NULL,  -- copied from the incident and action: the planner's query reads
      action_kind TEXT NOT NULL,  -- only this table, through the index below
      success     INTEGER NOT NULL CHECK (success IN (0, 1)),
      verified_at INTEGER NOT NULL,
      detail      TEXT CHECK (detail IS NULL OR json_valid(detail))
    ) STRICT;
    CREATE INDEX outcomes_cause_action ON outcomes (cause_kind, action_kind);

    CREATE TABLE models (
      id         INTEGER PRIMARY KEY,
      kind       TEXT NOT NULL,
      version    INTEGER NOT NULL CHECK (version >= 1),
      created_at INTEGER NOT NULL,
      path       TEXT NOT NULL,
      sha256     TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
      metrics    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metrics)),
      active     INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
      UNIQUE (kind, version)
    ) STRICT;
    -- The analyzer hot-swaps to the one active model of a kind; two would make the choice arbitrary.
    CREATE UNIQUE INDEX models_one_active_per_kind ON models (kind) WHERE active = 1;
  `,
};

export default migration;
