/**
 * A repeating timer on a Clock (the Clock contract has one-shot timers only, like XState's): each
 * run is scheduled when the previous one has been called, `intervalMs` apart, as setInterval does.
 */
import type { Clock, TimerHandle } from './clock.js';

export interface RepeatingTimer {
  cancel(): void;
}

export interface RepeatOptions {
  /** Do not keep the process alive for this timer alone (real clock only; a virtual clock has nothing to keep alive). */
  unref?: boolean;
}

export function repeatEvery(clock: Clock, intervalMs: number, callback: () => void, options: RepeatOptions = {}): RepeatingTimer {
  let handle: TimerHandle | undefined;
  let cancelled = false;
  const arm = () => {
    handle = clock.setTimeout(() => {
      if (cancelled) return;
      arm();
      callback();
    }, intervalMs);
    if (options.unref) (handle as { unref?: () => void } | undefined)?.unref?.();
  };
  arm();
  return {
    cancel() {
      cancelled = true;
      clock.clearTimeout(handle);
    },
  };
}
