/**
 * What a running node reports about itself over the control socket (`x0tta6bl4 status`): the
 * supervision tree with each actor's state and mailbox, the bus counters, the self-healing loop,
 * and each subsystem's latest state under its standing's name (config/subsystem-standings.ts).
 * The runtime produces it; the CLI checks it with `nodeStatusSchema`, since it crosses a process
 * boundary. Every type here is derived from its schema.
 */
import { z } from 'zod';
import type { HostKind } from '../contracts/host.js';
import type { MapeStatus } from '../../../store/mape-status.js';
import { subsystemStandings } from '../config/subsystem-standings.js';

export const SUPERVISION_STRATEGIES = ['one_for_one', 'one_for_all', 'rest_for_one'] as const;
export type SupervisionStrategy = (typeof SUPERVISION_STRATEGIES)[number];

export const ACTOR_STATES = ['starting', 'running', 'restarting', 'stopped', 'failed'] as const;
/** Lifecycle of an actor in its host (not its machine's state). */
export type ActorState = (typeof ACTOR_STATES)[number];

const HOST_KINDS = ['worker', 'inline'] as const satisfies readonly HostKind[];

const count = z.int().min(0);

const mailboxStatusSchema = z.object({
  /** Messages waiting in the host, not yet delivered to the actor. */
  depth: count,
  /** Delivered to the actor, not yet acknowledged. */
  inflight: count,
  capacity: count,
  /** Overflow counters, one per policy: drop oldest, reject, block the sender. */
  dropped: count,
  rejected: count,
  blocked: count,
  /** Messages the mailbox took in, and the actor acknowledged, since the node started. */
  accepted: count,
  processed: count,
});

const actorStatusSchema = z.object({
  kind: z.literal('actor'),
  id: z.string().min(1),
  host: z.enum(HOST_KINDS),
  state: z.enum(ACTOR_STATES),
  /**
   * The machine's XState snapshot value: a state name, or an object for nested and parallel states.
   * Absent between incarnations (starting, restarting): JSON drops an undefined value on the way.
   */
  machineState: z.unknown().optional(),
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

export const treeNodeStatusSchema = z.discriminatedUnion('kind', [supervisorStatusSchema, actorStatusSchema]);

export type MailboxStatus = z.infer<typeof mailboxStatusSchema>;
export type ActorStatus = z.infer<typeof actorStatusSchema>;
export type SupervisorStatus = z.infer<typeof supervisorStatusSchema>;
export type TreeNodeStatus = z.infer<typeof treeNodeStatusSchema>;

const busStatusSchema = z.object({
  published: count,
  delivered: count,
  /** Messages refused at the bus because they did not match their topic's schema. */
  malformed: count,
  /**
   * The most messages one sender has had waiting behind a full mailbox since the node started:
   * what backpressure held in the node's memory before the sender stopped (a peer link stops
   * reading its peers then, so a flood waits at the peer).
   */
  heldMax: count,
});
export type BusStatus = z.infer<typeof busStatusSchema>;

const openIncidentSchema = z.object({
  id: z.int().positive(),
  cause: z.string().nullable(),
  target: z.string().nullable(),
  status: z.string().min(1),
  detectedAt: z.number().nonnegative(),
});

/** The store defines the loop's status (it reads it, and may not import a schema library): checked both ways here. */
const mapeStatusSchema = z.object({
  phase: z.enum(['idle', 'diagnosing', 'planning', 'held', 'executing']),
  open: z.array(openIncidentSchema),
  held: z.array(openIncidentSchema),
  recovered: count,
  failed: count,
}) satisfies z.ZodType<MapeStatus>;
const mapeStatusMatchesTheStore: MapeStatus extends z.infer<typeof mapeStatusSchema> ? true : false = true;
void mapeStatusMatchesTheStore;

type Standings = typeof subsystemStandings;
/** Each subsystem's latest state, optional (absent until its actor first reports, or where it does not run). */
type StandingShape = { [K in keyof Standings]: z.ZodOptional<Standings[K]['format']['schema']> };

const standingShape = Object.fromEntries(
  Object.entries(subsystemStandings).map(([name, standing]) => [name, standing.format.schema.optional()]),
) as StandingShape;

export const nodeStatusSchema = z.object({
  nodeId: z.string().min(1),
  /** Changes at every process start, so two status reads can tell a restart from a long run. */
  runId: z.string().min(1),
  production: z.boolean(),
  /** Wall-clock ms since the epoch. */
  startedAt: z.number().nonnegative(),
  uptimeMs: z.number().nonnegative(),
  tree: treeNodeStatusSchema,
  bus: busStatusSchema,
  /** The self-healing loop, when enabled: its phase and the incidents not yet closed. */
  mape: mapeStatusSchema.optional(),
  ...standingShape,
});

export type NodeStatus = z.infer<typeof nodeStatusSchema>;
/** Each subsystem's latest state, by its standing's name. */
export type StandingStates = Pick<NodeStatus, keyof Standings>;
/** The identity actor's latest `identity.state`, as status carries it. */
export type IdentityStatus = NonNullable<NodeStatus['identity']>;
/** The peer-link actor's latest `mesh.links`, as status carries it. */
export type MeshStatus = NonNullable<NodeStatus['mesh']>;

export type { MapeStatus, OpenIncidentStatus } from '../../../store/mape-status.js';
