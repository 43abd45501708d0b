/**
 * Exponential backoff with jitter, the one formula every retry in the node uses (supervisor
 * restarts, Workload API reconnects, peer-link redials): the delay doubles from `minMs` per
 * attempt up to `maxMs`, then is spread uniformly over ±`jitter` of that nominal value so that
 * many nodes (or actors) that failed together do not retry in lockstep. The randomness is a
 * parameter so a deterministic simulation can seed it.
 */
export interface BackoffPolicy {
  minMs: number;
  maxMs: number;
  /** 0..1: the delay is spread uniformly over ±jitter of its nominal value. */
  jitter: number;
}

/** Delay before retry number `attempt` (1 for the first retry), in whole milliseconds. */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number): number {
  if (policy.maxMs <= 0) return 0;
  const nominal = Math.min(policy.maxMs, policy.minMs * 2 ** Math.max(0, attempt - 1));
  const spread = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.max(0, Math.round(nominal * spread));
}
