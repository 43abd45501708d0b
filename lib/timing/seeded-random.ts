/**
 * A seeded Random for deterministic runs: the same seed gives the same sequence, so a simulation
 * (or a test) that injects it into the node replays every jitter and backoff spread exactly.
 * xoroshiro128+ from pure-rand: small state, fast, and good enough statistically for jitter; never
 * for anything secret (that is node:crypto's job, see random.ts).
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Random } from './random.js';

/** A Random, uniform in [0, 1), whose sequence is fixed by `seed` (an integer). */
export function seededRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seededRandom: seed must be a safe integer, got ${seed}`);
  const generator = xoroshiro128plus(seed);
  return () => uniformFloat64(generator);
}
