/**
 * What a running node reports about itself over the control socket (`x0tta6bl4 status`): the
 * supervision tree with each actor's state and mailbox, and the bus counters. The runtime
 * produces it; the CLI checks it with `nodeStatusSchema`, since it crosses a process boundary.
 */
import { z } from 'zod';
import type { HostKind } from '../contracts/host.js';
import type { IdentityStateMessage } from '../../../machines/identity.js';
import type { MeshLinksMessage } from '../../../machines/peer-link.js';
import type { MapeStatus } from '../../../store/mape-status.js';

export const SUPERVISION_STRATEGIES = ['one_for_one', 'one_for_all', 'rest_for_one'] as const;
export type SupervisionStrategy = (typeof SUPERVISION_STRATEGIES)[number];

export const ACTOR_STATES = ['starting', 'running', 'restarting', 'stopped', 'failed'] as const;
/** Lifecycle of an actor in its host (not its machine's state). */
export type ActorState = (typeof ACTOR_STATES)[number];

export interface MailboxStatus {
  /** Messages waiting in the host, not yet delivered to the actor. */
  depth: number;
  /** Delivered to the actor, not yet acknowledged. */
  inflight: number;
  capacity: number;
  /** Overflow counters, one per policy: drop oldest, reject, block the sender. */
  dropped: number;
  rejected: number;
  blocked: number;
  /** Messages the mailbox took in, and the actor acknowledged, since the node started. */
  accepted: number;
  processed: number;
}

export interface SupervisorStatus {
  kind: 'supervisor';
  id: string;
  strategy: SupervisionStrategy;
  restarts: number;
  children: TreeNodeStatus[];
}

export interface ActorStatus {
  kind: 'actor';
  id: string;
  host: HostKind;
  state: ActorState;
  /** The machine's XState snapshot value: a state name, or an object for nested and parallel states. */
  machineState: unknown;
  restarts: number;
  mailbox: MailboxStatus;
}

export type TreeNodeStatus = SupervisorStatus | ActorStatus;

export interface BusStatus {
  published: number;
  delivered: number;
  /** Messages refused at the bus because they did not match their topic's schema. */
  malformed: number;
}

export interface NodeStatus {
  nodeId: string;
  /** Changes at every process start, so two status reads can tell a restart from a long run. */
  runId: string;
  production: boolean;
  /** Wall-clock ms since the epoch. */
  startedAt: number;
  uptimeMs: number;
  tree: TreeNodeStatus;
  bus: BusStatus;
  /** The self-healing loop, when enabled: its phase and the incidents not yet closed. */
  mape?: MapeStatus;
  /** The node's SPIFFE identity, once the identity actor has reported. */
  identity?: IdentityStatus;
  /** The node's peer links, when the mesh is configured and the peer-link actor has reported. */
  mesh?: MeshStatus;
}

/** The peer-link actor's latest `mesh.links` (machines/peer-link.ts). */
export type MeshStatus = MeshLinksMessage;

/** The identity actor's latest `identity.state` (machines/identity.ts). */
export type IdentityStatus = IdentityStateMessage;

export type { MapeStatus, OpenIncidentStatus } from '../../../store/mape-status.js';

const count = z.int().min(0);

const mailboxStatusSchema = z.object({
  depth: count,
  inflight: count,
  capacity: count,
  dropped: count,
  rejected: count,
  blocked: count,
  accepted: count,
  processed: count,
});

const actorStatusSchema = z.object({
  kind: z.literal('actor'),
  id: z.string().min(1),
  host: z.enum(['worker', 'inline'] as const satisfies readonly HostKind[]),
  state: z.enum(ACTOR_STATES),
  machineState: z.unknown(),
  restarts: count,
  mailbox: mailboxStatusSchema,
});

const supervisorStatusSchema = z.object({
  kind: z.literal('supervisor'),
  id: z.string().min(1),
  strategy: z.enum(SUPERVISION_STRATEGIES),
  restarts: count,
  get children(): z.ZodArray<typeof treeNodeStatusSchema> {
    return z.array(treeNodeStatusSchema);
  },
});

/** What `identity.state` carries (checked on the bus and again where status crosses to the CLI). */
export const identityStateSchema = z.strictObject({
  status: z.enum(['connecting', 'waiting', 'ready', 'failed']),
  mode: z.enum(['agent', 'embedded']),
  endpoint: z.string(),
  reason: z.string().optional(),
  spiffeId: z.string().optional(),
  trustDomain: z.string().optional(),
  expiresAt: z.number().int().nonnegative().optional(),
  updates: count,
  rejected: count,
});

const linkStateSchema = z.strictObject({
  peer: z.string(),
  role: z.enum(['dialer', 'acceptor']),
  address: z.string().optional(),
  status: z.enum(['connecting', 'up', 'down']),
  connections: count,
  reauths: count,
  sent: count,
  delivered: count,
  pending: count,
  retransmitted: count,
  duplicates: count,
  dropped: count,
  expiresAt: z.number().int().nonnegative().optional(),
  suite: z.string().optional(),
  epoch: count.optional(),
  lastError: z.string().optional(),
});

/** What `mesh.links` carries (checked on the bus and again where status crosses to the CLI). */
export const meshLinksSchema = z.strictObject({
  phase: z.enum(['waitingForSvid', 'serving', 'failed']),
  reason: z.string().optional(),
  listening: z.string().optional(),
  spiffeId: z.string().optional(),
  links: z.array(linkStateSchema).max(10_000),
  refused: count,
  lastRefusal: z.string().optional(),
  handshakeFailures: count,
  pq: z.strictObject({
    handshakes: count,
    rekeys: count,
    failures: z.record(z.string(), count),
    lastHandshakeMs: z.number().nonnegative(),
    handshakeSeconds: z.strictObject({ cumulative: z.array(count).max(32), sum: z.number().nonnegative() }),
  }),
  unroutable: count,
});

const openIncidentSchema = z.object({
  id: z.int().positive(),
  cause: z.string().nullable(),
  target: z.string().nullable(),
  status: z.string().min(1),
  detectedAt: z.number().nonnegative(),
});

const mapeStatusSchema = z.object({
  phase: z.enum(['idle', 'diagnosing', 'planning', 'held', 'executing']),
  open: z.array(openIncidentSchema),
  held: z.array(openIncidentSchema),
  recovered: count,
  failed: count,
});

export const treeNodeStatusSchema: z.ZodType<TreeNodeStatus> = z.discriminatedUnion('kind', [
  supervisorStatusSchema,
  actorStatusSchema,
]);

export const nodeStatusSchema: z.ZodType<NodeStatus> = z.object({
  nodeId: z.string().min(1),
  runId: z.string().min(1),
  production: z.boolean(),
  startedAt: z.number().nonnegative(),
  uptimeMs: z.number().nonnegative(),
  tree: treeNodeStatusSchema,
  bus: z.object({ published: count, delivered: count, malformed: count }),
  mape: z.optional(mapeStatusSchema),
  identity: z.optional(identityStateSchema),
  mesh: z.optional(meshLinksSchema),
});
