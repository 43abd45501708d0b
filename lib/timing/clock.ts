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

/** The process's own clock: Date.now, performance.now and the event loop's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  monotonicNow: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
};
