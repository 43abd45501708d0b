import type { Migration } from '../migrations.js';

/**
 * The CPU-hog rule asks whether the thread yields, not how long it wanted a core. Migration 4's
 * actor.cpu_demand (ran, or waited runnable for a core) also counts a healthy thread's wait for
 * a core after each wake-up, and on a machine two CPU burners keep busy that wait alone reached
 * 0.9 of the interval for the monitor, analyzer and executor (1-2 ms of their own CPU, one wait
 * of 250 ms): false cpu-hog incidents. actor.cpu_burst_ms is the thread's own CPU per time it
 * gave its core back of its own accord, which load does not inflate: healthy threads measured
 * under 2.1 ms with the burners (under 1 ms idle), the chaos hog 45 ms idle and 15-260 ms loaded
 * (its 45 ms spin is wall time; the burners lower its share of a core, never below a fair one).
 * 10 ms: five times the busiest healthy thread, under the loaded hog's lowest. The mailbox
 * condition stays: a thread working through a backlog does not yield either, and that is an
 * overload, which deep-mailbox names. Only the row as migration 4 left it is changed: a rule an
 * operator has edited is theirs.
 */
const migration: Migration = {
  version: 5,
  name: 'unyielding-hog',
  sql: `
    UPDATE detector_rules SET metric = 'actor.cpu_burst_ms', threshold = 10
     WHERE id = 'busy-thread' AND metric = 'actor.cpu_demand' AND op = '>=' AND threshold = 0.75
       AND and_metric = 'actor.mailbox_depth' AND and_op = '<=' AND and_threshold = 200;
  `,
};

export default migration;
