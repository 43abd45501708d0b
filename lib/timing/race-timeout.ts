/**
 * The one timeout race: a promise against a deadline on a Clock, the timer cleared whichever comes
 * first, so no timer outlives the race (a leftover timer keeps a process alive and, on a virtual
 * clock, fires in a later advance).
 */
import type { Clock, TimerHandle } from './clock.js';

/** Resolves with the promise's value, or with `onTimeout()` if `timeoutMs` passes first; the promise's rejection (or one `onTimeout` throws) passes through. */
export async function raceTimeout<T, U>(clock: Clock, promise: Promise<T>, timeoutMs: number, onTimeout: () => U): Promise<T | U> {
  let handle: TimerHandle | undefined;
  const deadline = new Promise<U>((resolve, reject) => {
    handle = clock.setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clock.clearTimeout(handle);
  }
}
