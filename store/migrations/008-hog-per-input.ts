import type { Migration } from '../migrations.js';

/**
 * The CPU-hog rule's second condition sets the thread's CPU time against the input it handled,
 * not the messages it was delivered. A 20-node mesh demo on 2 cores (load average 40) opened a
 * false cpu-hog on the peer-link actor of most nodes every few seconds: its thread, busy with the
 * records of its peers' sockets, wanted a core all the time (cpu_demand 0.9), held it 6-50 ms per
 * yield (cpu_burst_ms) on 4-7 % of a core, and was delivered almost no bus messages, so migration
 * 6's actor.message_rate <= 500 read it as spinning on its own. Each restart announced a leave and
 * the mesh rerouted round it, which loaded the machine further. actor.cpu_ms_per_input counts what
 * the thread handled from its mailbox and from outside (ActorIo.inputHandled: the peer link's
 * records and connections) and divides its CPU time by it: a thread working through what it is
 * given spends about a millisecond on each (a flood's 0.25 ms), however loaded the machine, and a
 * runaway loop its whole CPU time on the few it gets (the chaos hog 15 ms idle, on the mape bench's
 * 60 messages a second). 5 ms sits between the two. Only the row as migration 6 left it changes:
 * a rule an operator has edited is theirs.
 */
const migration: Migration = {
  version: 8,
  name: 'hog-per-input',
  sql: `
    UPDATE detector_rules SET and_metric = 'actor.cpu_ms_per_input', and_op = '>=', and_threshold = 5
     WHERE id = 'busy-thread' AND metric = 'actor.cpu_burst_ms' AND op = '>=' AND threshold = 10
       AND and_metric = 'actor.message_rate' AND and_op = '<=' AND and_threshold = 500;
  `,
};

export default migration;
