/**
 * The timer of the runtime's watches (slow writes, threads, settled verification): a look every
 * `everyMs` on the node's clock that never keeps the process alive, and whose failure (a fault of
 * the watch's own code) is reported and does not stop the next look.
 */
import type { Clock } from '../contracts/clock.js';
import { repeatEvery, type RepeatingTimer } from '../../../lib/timing/repeat-every.js';

export function lookEvery(clock: Clock, everyMs: number, look: () => void, failed: (error: unknown) => void): RepeatingTimer {
  return repeatEvery(
    clock,
    everyMs,
    () => {
      try {
        look();
      } catch (error) {
        failed(error);
      }
    },
    { unref: true },
  );
}
