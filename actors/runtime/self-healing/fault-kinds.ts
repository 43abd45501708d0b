/**
 * Faults a test or chaos run can inject into an actor's thread. The first three are crashes
 * (ARCHITECTURE.md §4: an uncaught error, an exit, a hang); the others degrade the thread without
 * crashing it, for the MAPE-K loop to notice: a busy loop taking most of its CPU, memory retained
 * without bound, and a delay on every store write of its connection.
 */
export const FAULT_KINDS = ['throw', 'exit', 'hang', 'cpu-hog', 'memory-leak', 'slow-store'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
