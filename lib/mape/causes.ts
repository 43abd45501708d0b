/**
 * What the MAPE-K loop can diagnose, and the faults chaos can inject: one name per kind, so an
 * injected fault and the diagnosis it should produce compare by equality (diagnosis accuracy).
 *
 * Local causes are about one of the node's actors (the target is an actor id); mesh causes about
 * the node's place in the mesh (the target is a peer's SPIFFE ID, or `mesh` for the node's routes
 * as a whole).
 */
export const LOCAL_CAUSE_KINDS = ['crash-loop', 'hung-actor', 'cpu-hog', 'memory-leak', 'mailbox-flood', 'slow-store'] as const;
export type LocalCauseKind = (typeof LOCAL_CAUSE_KINDS)[number];

/**
 * - peer-down: a neighbour this node was linked to was declared dead;
 * - link-degraded: the link to a live neighbour is lost, or loses heartbeats while traffic uses it;
 * - partitioned: members held alive that no route leads to.
 */
export const MESH_CAUSE_KINDS = ['peer-down', 'link-degraded', 'partitioned'] as const;
export type MeshCauseKind = (typeof MESH_CAUSE_KINDS)[number];

export const CAUSE_KINDS = [...LOCAL_CAUSE_KINDS, ...MESH_CAUSE_KINDS] as const;
export type CauseKind = (typeof CAUSE_KINDS)[number];

/** The target of `partitioned`: the node's routes as a whole, not one peer. */
export const MESH_TARGET = 'mesh';

export function isCauseKind(value: unknown): value is CauseKind {
  return typeof value === 'string' && (CAUSE_KINDS as readonly string[]).includes(value);
}

export function isMeshCause(cause: CauseKind): cause is MeshCauseKind {
  return (MESH_CAUSE_KINDS as readonly string[]).includes(cause);
}

/** The resource each cause is about, for the diagnosis ("which actor, which resource, which fault kind"). */
export const CAUSE_RESOURCE: Record<CauseKind, 'messages' | 'thread' | 'cpu' | 'memory' | 'mailbox' | 'store' | 'peer' | 'link' | 'routes'> = {
  'crash-loop': 'messages',
  'hung-actor': 'thread',
  'cpu-hog': 'cpu',
  'memory-leak': 'memory',
  'mailbox-flood': 'mailbox',
  'slow-store': 'store',
  'peer-down': 'peer',
  'link-degraded': 'link',
  partitioned: 'routes',
};
