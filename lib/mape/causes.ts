/**
 * What the MAPE-K loop can diagnose, and the faults chaos can inject: one name per kind, so an
 * injected fault and the diagnosis it should produce compare by equality (diagnosis accuracy).
 */
export const CAUSE_KINDS = ['crash-loop', 'hung-actor', 'cpu-hog', 'memory-leak', 'mailbox-flood', 'slow-store'] as const;
export type CauseKind = (typeof CAUSE_KINDS)[number];

export function isCauseKind(value: unknown): value is CauseKind {
  return typeof value === 'string' && (CAUSE_KINDS as readonly string[]).includes(value);
}

/** The resource each cause is about, for the diagnosis ("which actor, which resource, which fault kind"). */
export const CAUSE_RESOURCE: Record<CauseKind, 'messages' | 'thread' | 'cpu' | 'memory' | 'mailbox' | 'store'> = {
  'crash-loop': 'messages',
  'hung-actor': 'thread',
  'cpu-hog': 'cpu',
  'memory-leak': 'memory',
  'mailbox-flood': 'mailbox',
  'slow-store': 'store',
};
