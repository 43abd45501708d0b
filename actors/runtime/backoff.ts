/** Restart backoff with jitter, so a crash loop does not spin and crashed peers do not restart in lockstep. */
export interface BackoffPolicy {
  minMs: number;
  maxMs: number;
  /** 0..1: the delay is spread uniformly over ±jitter of its nominal value. */
  jitter: number;
}

/**
 * Delay before a restart, given how many restarts the supervisor has made within its intensity
 * period (this one included). The first restart is immediate: a single crash should cost no
 * more than the restart itself; each further one within the period doubles the delay.
 */
export function restartDelayMs(policy: BackoffPolicy, restartsInPeriod: number, random: () => number = Math.random): number {
  if (restartsInPeriod <= 1 || policy.maxMs <= 0) return 0;
  const nominal = Math.min(policy.maxMs, policy.minMs * 2 ** (restartsInPeriod - 2));
  const spread = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.max(0, Math.round(nominal * spread));
}
