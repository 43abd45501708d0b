/** Faults a test or chaos run can inject into an actor (ARCHITECTURE.md §4: crash = uncaught error, exit, hang). */
export const FAULT_KINDS = ['throw', 'exit', 'hang'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
