/**
 * The hybrid suites' and signature algorithms' wire identifiers and the default offer, in a
 * module of their own: configuration schemas name the suites without loading liboqs (a WASM
 * module, several MiB in every thread that loads it). The suites themselves: pq-suites.ts.
 */
export const SUITES = { 'x-wing': 1, 'mlkem1024-x25519': 2 } as const;
export type SuiteName = keyof typeof SUITES;
export type SuiteId = (typeof SUITES)[SuiteName];
export const SIGNATURE_ALGORITHMS = { 'ML-DSA-65': 1 } as const;
export type SignatureId = (typeof SIGNATURE_ALGORITHMS)[keyof typeof SIGNATURE_ALGORITHMS];

/** ML-KEM-768 by default; ML-KEM-1024 when configured. */
export const DEFAULT_SUITES: readonly SuiteName[] = ['x-wing'];
