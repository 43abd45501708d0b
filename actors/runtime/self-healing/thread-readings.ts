/**
 * Readings of an actor's thread that the sampler and the thread watch both derive from the
 * kernel's scheduler times and the thread's own counters (thread-schedstat.ts, thread-signals.ts).
 */
import type { SchedStat } from '../host/thread-schedstat.js';

/**
 * The thread's own CPU time per time it gave its core back of its own accord, over a window: how
 * long its event loop keeps a core before it next goes idle. What the machine's load changes is
 * how long the thread waits for a core, not how much of its own work it does before it yields:
 * a thread that wakes for a message and sleeps again yields after well under a millisecond
 * however long it queued for the core, while a thread that does not yield (a runaway loop) holds
 * on for its whole share, bounded below only by the scheduler's fair share of a core. A window
 * with no yield at all counts as one, so a thread that never yields reads its whole CPU time.
 */
export function cpuBurstMs(from: SchedStat, to: SchedStat): number {
  return Math.max(0, to.runMs - from.runMs) / Math.max(1, to.yields - from.yields);
}

/** How many a counter moved from `before` to `now`: the thread's count is 32 bits in shared memory, and wraps. */
export function countSince(now: number, before: number): number {
  return (now - before) >>> 0;
}
