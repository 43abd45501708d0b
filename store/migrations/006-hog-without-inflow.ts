import type { Migration } from '../migrations.js';

/**
 * The CPU-hog rule's second condition asks how many messages the thread is given, not how many wait.
 * A flooded thread works through its messages without yielding, so it shows the hog's long CPU
 * bursts; migration 3 told the two apart by the backlog (mailbox ≤ 200), but on a loaded machine
 * the flood's sender (the main thread) is starved too, the backlog drains between its bursts, and a
 * sample can find the flooded thread busy with fewer than 200 messages queued (the likely reading
 * of a loaded run where an earlier incident on the flooded actor took the flood's injection). actor.message_rate holds through that: a flooded
 * thread is delivered thousands of messages a second (4,000/s on an idle core at 0.25 ms each, about
 * 1,000/s at a quarter of a core), a runaway loop the few its normal traffic brings (the mape bench
 * sends its workload 60/s). 500/s sits between the two with a factor of two to spare on each side.
 * A thread that holds its core while it is given 500 messages a second or more is overloaded, which
 * deep-mailbox names once the backlog builds. Only the row as migration 5 left it is changed.
 */
const migration: Migration = {
  version: 6,
  name: 'hog-without-inflow',
  sql: `
    UPDATE detector_rules SET and_metric = 'actor.message_rate', and_op = '<=', and_threshold = 500
     WHERE id = 'busy-thread' AND metric = 'actor.cpu_burst_ms' AND op = '>=' AND threshold = 10
       AND and_metric = 'actor.mailbox_depth' AND and_op = '<=' AND and_threshold = 200;
  `,
};

export default migration;
