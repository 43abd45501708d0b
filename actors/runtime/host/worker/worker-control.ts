/**
 * The control plane of a worker thread (calls on the worker's parentPort: thread-control-client.ts
 * and worker/thread-control-server.ts): start, stop, snapshot, health and fault injection.
 * Low-rate calls only; bus traffic has its own port. Requests and arguments are checked in the
 * worker, replies and results in the host (schemas compiled like the thread protocol's; see
 * thread-protocol.ts). Only the main thread imports this module's values.
 */
import { Type, type Static } from '@sinclair/typebox';
import { FAULT_KINDS, type FaultKind } from '../../self-healing/fault-kinds.js';
import { serializedErrorSchema } from '../thread-protocol.js';

export type { FaultKind };

export const startActorSchema = Type.Object({
  actorId: Type.String({ minLength: 1 }),
  /** file: URL or absolute path of the compiled actor module (default export: ActorDefinition). */
  module: Type.String({ minLength: 1 }),
  options: Type.Record(Type.String(), Type.Unknown()),
  databasePath: Type.String({ minLength: 1 }),
  runId: Type.String({ minLength: 1 }),
  throttleMs: Type.Integer({ minimum: 0 }),
  /** Forward the machine's XState inspection events to the host (the inspector is on). */
  inspect: Type.Optional(Type.Boolean()),
});
export type StartActor = Static<typeof startActorSchema>;

export const prepareSchema = Type.Object({
  /** The store to open ahead (none: the start opens it, once the node has created and migrated it). */
  databasePath: Type.Optional(Type.String({ minLength: 1 })),
  /** The module of the actor this thread is readied for (none for a spare, which cannot know whom it will serve). */
  module: Type.Optional(Type.String({ minLength: 1 })),
  /** Run the state-machine library once (a spare's next start is a restart, timed); an actor's own start warms it anyway. */
  warmUp: Type.Boolean(),
});
export type PrepareWorker = Static<typeof prepareSchema>;

export const startResultSchema = Type.Object({ restoredSeq: Type.Integer({ minimum: 0 }) });
export type StartResult = Static<typeof startResultSchema>;

export const stopResultSchema = Type.Object({ ackedSeq: Type.Integer({ minimum: 0 }) });
export type StopResult = Static<typeof stopResultSchema>;

/**
 * threadId: the hosting thread (the main thread, 0, for inline actors), so reuse of threads can be seen.
 * retainedHeapBytes: V8's old and large-object spaces, what survived garbage collection (a leak
 * grows it; short-lived garbage does not). storeWriteMaxMs: the longest snapshot write since the
 * previous health call (0 when none), so each call covers one sampling interval. cpuTimeMs: the
 * thread's own CPU time since the actor started in it (thread-usage.ts), over runningMs.
 */
export const healthSchema = Type.Object({
  state: Type.Unknown(),
  heapUsedBytes: Type.Number(),
  retainedHeapBytes: Type.Number(),
  storeWriteMaxMs: Type.Number({ minimum: 0 }),
  /** CPU time of the hosting thread since the actor started, in ms; -1 where it cannot be told (inline, non-Linux). */
  cpuTimeMs: Type.Number({ minimum: -1 }),
  /** Wall-clock time since the actor started in this thread. */
  runningMs: Type.Number({ minimum: 0 }),
  threadId: Type.Integer({ minimum: 0 }),
});
export type WorkerHealth = Static<typeof healthSchema>;

export const faultKindSchema = Type.Union(FAULT_KINDS.map((kind) => Type.Literal(kind)));

export interface WorkerControl {
  /** Answers once the thread has loaded the runtime: used to keep spare workers warm. */
  hello(): Promise<'ready'>;
  /**
   * Readies the thread for its next start: opens the store, imports the actor's module when the
   * thread is meant for one actor, and runs the state-machine library once when asked, so the
   * start pays none of it. A start sent meanwhile is answered after what it needs is loaded.
   */
  prepare(init: PrepareWorker): Promise<void>;
  start(init: StartActor): Promise<StartResult>;
  /** Stops the actor gracefully; answers with the last sequence it acknowledged. */
  stop(): Promise<StopResult>;
  snapshot(): Promise<unknown>;
  health(): Promise<WorkerHealth>;
  inject(kind: FaultKind): Promise<void>;
}

/** The calls a worker answers, as they are named on the wire. */
export const CONTROL_METHODS = ['hello', 'prepare', 'start', 'stop', 'snapshot', 'health', 'inject'] as const satisfies readonly (keyof WorkerControl)[];
export type ControlMethod = (typeof CONTROL_METHODS)[number];

const callId = Type.Integer({ minimum: 0 });

/** Host → worker: a call; its arguments are checked by the method itself. */
export const controlRequestSchema = Type.Object({
  id: callId,
  method: Type.Union(CONTROL_METHODS.map((method) => Type.Literal(method))),
  args: Type.Array(Type.Unknown(), { maxItems: 1 }),
});
export type ControlRequest = Static<typeof controlRequestSchema>;

/** Worker → host: a call's result, or the error it threw (rebuilt into its class by the host). */
export const controlReplySchema = Type.Union([
  Type.Object({ id: callId, ok: Type.Literal(true), value: Type.Unknown() }),
  Type.Object({ id: callId, ok: Type.Literal(false), error: serializedErrorSchema }),
]);
export type ControlReply = Static<typeof controlReplySchema>;
