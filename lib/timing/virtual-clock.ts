/**
 * A virtual Clock for deterministic runs: time stands still until the test (or the simulation)
 * advances it; then each timer due by the new time fires at its own due time (now() says so
 * while it runs), in order of due time and, for equal times, of setting. Timers set by a firing
 * timer fire in the same advance when they fall due within it.
 */
import type { Clock } from './clock.js';

export interface VirtualClock extends Clock {
  /** Moves time forward by `ms`, firing every timer due by then. */
  advance(ms: number): void;
  /** Timers set and not yet fired or cleared. */
  pending(): number;
}

interface Timer {
  id: number;
  due: number;
  callback: () => void;
}

export function createVirtualClock(startMs = 0): VirtualClock {
  let now = startMs;
  let nextId = 1;
  const timers = new Map<number, Timer>();
  const earliest = (): Timer | undefined => {
    let first: Timer | undefined;
    for (const timer of timers.values()) if (!first || timer.due < first.due || (timer.due === first.due && timer.id < first.id)) first = timer;
    return first;
  };
  return {
    now: () => now,
    monotonicNow: () => now,
    setTimeout(callback, ms) {
      const id = nextId++;
      timers.set(id, { id, due: now + Math.max(0, ms), callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (let timer = earliest(); timer && timer.due <= until; timer = earliest()) {
        timers.delete(timer.id);
        now = timer.due;
        timer.callback();
      }
      now = until;
    },
    pending: () => timers.size,
  };
}
