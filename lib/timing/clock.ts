/**
 * The Clock: every place the node reads time or sets a timer takes one, so a deterministic
 * simulation can drive the whole node from a virtual clock (ARCHITECTURE.md §4). It is a superset
 * of XState's clock (`setTimeout` / `clearTimeout`), so the same object also drives every
 * machine's delays.
 */
export type TimerHandle = unknown;

export interface Clock {
  /** Wall time, epoch ms: timestamps that are stored, sent or shown. */
  now(): number;
  /** Monotonic ms from an arbitrary origin: durations, deadlines and rate windows (never jumps with the wall clock). */
  monotonicNow(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/**
 * The longest delay the event loop's timers take (2^31 - 1 ms, about 24.8 days). Node fires a
 * longer one after 1 ms: a connection bound to an SVID valid for a month would be closed at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay longer than MAX_TIMER_MS, run as a chain of timers each within it. */
class LongTimer {
  current: ReturnType<typeof setTimeout> | undefined;

  constructor(callback: () => void, ms: number) {
    const dueAt = performance.now() + ms;
    const arm = () => {
      const left = dueAt - performance.now();
      this.current = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(callback, Math.max(0, left));
    };
    arm();
  }
}

/** The process's own clock: Date.now, performance.now and the event loop's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  monotonicNow: () => performance.now(),
  setTimeout: (callback, ms) => (ms > MAX_TIMER_MS ? new LongTimer(callback, ms) : setTimeout(callback, ms)),
  clearTimeout: (handle) => clearTimeout(handle instanceof LongTimer ? handle.current : (handle as ReturnType<typeof setTimeout> | undefined)),
};
