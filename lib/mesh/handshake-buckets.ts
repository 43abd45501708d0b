/**
 * Upper bounds (seconds) of the handshake-duration histogram the peer-link actor keeps for metrics.
 * A module of its own, free of the schema library, so the peer-link machine can load it (machines
 * load only pure lib/ modules).
 */
export const HANDSHAKE_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;
