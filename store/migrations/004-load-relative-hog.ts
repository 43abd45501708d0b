import type { Migration } from '../migrations.js';

/**
 * The CPU-hog rule measured against what the machine gives, not in absolute cores. Migration 3
 * asked for half a core of the thread's own CPU time; on a loaded 2-core machine a runaway thread
 * may never get that much, and goes unseen. actor.cpu_demand is the share of the interval the
 * thread wanted a core (ran, or waited runnable for one): a thread that never yields wants one
 * all the time whatever share the scheduler gives it, while a healthy thread wakes, works briefly
 * and sleeps. Three quarters of the time with no backlog: the work is not coming from its
 * mailbox (a thread busy with a growing backlog is overloaded, which deep-mailbox names).
 * Only the seeded row is changed: a rule an operator has edited is theirs.
 */
const migration: Migration = {
  version: 4,
  name: 'load-relative-hog',
  sql: `
    UPDATE detector_rules SET metric = 'actor.cpu_demand', threshold = 0.75
     WHERE id = 'busy-thread' AND metric = 'actor.cpu_ratio' AND op = '>=' AND threshold = 0.5
       AND and_metric = 'actor.mailbox_depth' AND and_op = '<=' AND and_threshold = 200;
  `,
};

export default migration;
