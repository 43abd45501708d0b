/** Restart backoff: the shared formula (lib/timing/backoff.ts) with OTP's first restart immediate. */
import { backoffDelayMs, type BackoffPolicy } from '../../../lib/timing/backoff.js';

export type { BackoffPolicy };

/**
 * Delay before a restart, given how many restarts the supervisor has made within its intensity
 * period (this one included). The first restart is immediate: a single crash should cost no
 * more than the restart itself; each further one within the period doubles the delay.
 */
export function restartDelayMs(policy: BackoffPolicy, restartsInPeriod: number, random: () => number): number {
  if (restartsInPeriod <= 1) return 0;
  return backoffDelayMs(policy, restartsInPeriod - 1, random);
}
