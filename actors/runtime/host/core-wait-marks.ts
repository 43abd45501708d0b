/**
 * What a silent worker thread did with its time, for its liveness deadline: ran, waited for a core,
 * or neither (slept, blocked). The kernel counts each thread's time on a core and its time runnable
 * but not running (thread-schedstat.ts); a mark of both is taken at every liveness tick, so when a
 * thread has been silent for its timeout the host can tell a thread that could have answered and did
 * not (hung: it ran, or slept, and said nothing) from one the machine never gave a core to (20 node
 * processes starting at once on 2 cores: a module load of 0.4 s of CPU then takes seconds of wall
 * time). Only the first is ended.
 *
 * Marks are taken at ticks, not at each message (a /proc read per message would cost more than the
 * message): a silence is measured from the last mark at or before its start, so up to one tick's
 * worth of waiting before the silence is counted in it. That spares a hung thread at most one
 * liveness interval longer. A wait still under way when the deadline fires is not in the kernel's
 * count yet: the host counts only the time a thread runnable at that moment ran (see worker-host.ts).
 *
 * Marks older than MAX_DISCOUNTED_MS go: a thread the machine starves without end is given up on
 * about that long after it fell silent, plus its timeout.
 */

import type { SchedStat } from './thread-schedstat.js';

/** Time on a core and runnable but waiting for one so far (waits that ended), ms. */
export type SchedTimes = Pick<SchedStat, 'runMs' | 'waitMs'>;

interface Mark extends SchedTimes {
  at: number;
}

/** How much of a silence can be put down to a busy machine. */
export const MAX_DISCOUNTED_MS = 60_000;
/** And in marks, whatever the tick: memory stays bounded at a tick of a few ms too. */
const MAX_MARKS = 1_024;

export class CoreWaitMarks {
  private readonly marks: Mark[] = [];

  /** `read`: the thread's scheduler times now, or undefined where the kernel does not say. */
  constructor(private readonly read: () => SchedTimes | undefined) {}

  /** Takes a mark at `at`, and lets go of those a silence since `silentSince` no longer needs. */
  mark(at: number, silentSince: number): void {
    const times = this.read();
    if (times === undefined) return;
    this.marks.push({ at, ...times });
    while (this.marks.length > MAX_MARKS || (this.marks.length > 1 && (this.marks[1]!.at <= silentSince || this.marks[0]!.at < at - MAX_DISCOUNTED_MS))) this.marks.shift();
  }

  /**
   * What the thread did since `since` (ms on a core, ms waiting for one), counted from the last mark
   * at or before it, else from the first mark after it (then less is known, and less discounted);
   * undefined without marks or a reading now.
   */
  since(since: number, now: SchedTimes | undefined): SchedTimes | undefined {
    const base = this.marks.findLast((mark) => mark.at <= since) ?? this.marks[0];
    if (!base || !now) return undefined;
    return { runMs: Math.max(0, now.runMs - base.runMs), waitMs: Math.max(0, now.waitMs - base.waitMs) };
  }
}
