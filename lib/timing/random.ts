/**
 * The Random: every jitter, backoff spread and random choice in the runtime and the peer link
 * takes one, so that the same seed gives the same run. Uniform in [0, 1), like Math.random.
 * Never for keys, nonces or anything secret: those come from node:crypto, always.
 */
export type Random = () => number;

/** The process's own randomness (Math.random). */
export const realRandom: Random = () => Math.random();
