/**
 * How long a worker thread waited for a core over a stretch of time, for its liveness deadline.
 * The kernel counts each thread's time runnable but not running (thread-schedstat.ts); a mark of
 * that count is taken at every liveness tick, so when a thread has been silent for its timeout the
 * host can tell a thread that could have answered and did not (hung: it ran, or slept, and said
 * nothing) from one the machine never gave a core to (a loaded machine starts 20 node processes at
 * once: a module load of 0.4 s of CPU then takes seconds of wall time). Only the first is ended.
 *
 * Marks are taken at ticks, not at each message (a /proc read per message would cost more than the
 * message): a silence is measured from the last mark at or before its start, so up to one tick's
 * worth of waiting before the silence is counted in it. That spares a hung thread at most one
 * liveness interval longer, and never ends a starved one early.
 */

interface Mark {
  at: number;
  waitedMs: number;
}

/** Marks kept while a thread stays silent: past this (a minute at the default 1 s tick), the oldest go and less of the wait is discounted, so even a thread the machine starves without end is given up on. */
const MAX_MARKS = 64;

export class CoreWaitMarks {
  private readonly marks: Mark[] = [];

  /** `readWaitedMs`: the thread's total wait for a core so far (ms), or undefined where the kernel does not say. */
  constructor(private readonly readWaitedMs: () => number | undefined) {}

  /** Takes a mark at `at`, and lets go of those a silence since `silentSince` no longer needs. */
  mark(at: number, silentSince: number): void {
    const waitedMs = this.readWaitedMs();
    if (waitedMs === undefined) return;
    this.marks.push({ at, waitedMs });
    while (this.marks.length > MAX_MARKS || (this.marks.length > 1 && this.marks[1]!.at <= silentSince)) this.marks.shift();
  }

  /**
   * What the thread waited for a core since `since` (ms), counted from the last mark at or before
   * it, else from the first mark after it (then less is discounted, never more); 0 without marks.
   */
  waitedSince(since: number): number {
    const base = this.marks.findLast((mark) => mark.at <= since) ?? this.marks[0];
    const now = base ? this.readWaitedMs() : undefined;
    return base && now !== undefined ? Math.max(0, now - base.waitedMs) : 0;
  }
}
