/**
 * The bus protocol between the host (main thread) and an actor's worker thread, over a
 * dedicated MessagePort. One discriminated union per direction, validated at run time on the
 * receiving side: a thread boundary is a trust boundary for the host (a confused worker must
 * not corrupt a mailbox), so nothing is trusted by type alone.
 *
 * Schemas are TypeBox because TypeBox compiles them to plain JavaScript checks: the host hands
 * that code to each worker (worker/thread-protocol-checks.ts), so a worker validates at ~0.01 µs per message
 * without loading a schema library (zod costs a worker ~50 ms of start-up and ~4 MiB).
 * Only the main thread imports this module's values; workers import its types.
 *
 * Control-plane calls (start, stop, snapshot, health, fault injection) are requests and replies
 * on the worker's parentPort instead; see worker-control.ts.
 */
import { Type, type Static } from '@sinclair/typebox';

const nonEmpty = Type.String({ minLength: 1 });
const sequence = Type.Integer({ minimum: 0 });
const tableIndex = Type.Integer({ minimum: 0 });

export const serializedErrorSchema = Type.Object({
  name: Type.String(),
  message: Type.String(),
  stack: Type.Optional(Type.String()),
  fields: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

/** Host → worker. */
export const hostToWorkerSchema = Type.Union([
  /**
   * Messages to process, in mailbox order, as columns (delivery-columns.ts): message i has
   * payload `payload[i]`; sequence `seq + i` when `seq` is a number (consecutive sequences), else
   * `seq[i]`; topic `topics[topic[i]]` (`topics[0]` for all when `topic` is absent); sender
   * `senders[from[i]]` (likewise); and it is a request when `requests` pairs i with its id.
   */
  Type.Object({
    kind: Type.Literal('deliver'),
    payload: Type.Array(Type.Unknown(), { minItems: 1 }),
    seq: Type.Union([sequence, Type.Array(sequence)]),
    topics: Type.Array(nonEmpty, { minItems: 1 }),
    topic: Type.Optional(Type.Array(tableIndex)),
    senders: Type.Array(nonEmpty, { minItems: 1 }),
    from: Type.Optional(Type.Array(tableIndex)),
    requests: Type.Optional(Type.Array(Type.Tuple([tableIndex, nonEmpty]))),
  }),
  /** Liveness probe: answered from the worker's event loop, so a hung loop never answers. */
  Type.Object({ kind: Type.Literal('ping'), id: Type.Integer() }),
  /** Backpressure: stop (or resume) processing, because a destination the worker publishes to is full and blocks. */
  Type.Object({ kind: Type.Literal('pause'), paused: Type.Boolean() }),
]);
export type HostToWorker = Static<typeof hostToWorkerSchema>;

export const outboundSchema = Type.Union([
  Type.Object({ kind: Type.Literal('publish'), topic: nonEmpty, payload: Type.Unknown() }),
  Type.Object({ kind: Type.Literal('reply'), requestId: nonEmpty, payload: Type.Unknown() }),
  Type.Object({ kind: Type.Literal('reply-error'), requestId: nonEmpty, error: Type.String() }),
]);
export type Outbound = Static<typeof outboundSchema>;

/** Worker → host. */
export const workerToHostSchema = Type.Union([
  /** Everything up to and including `seq` is processed and, for persistent actors, covered by a stored snapshot. */
  Type.Object({ kind: Type.Literal('ack'), seq: sequence }),
  /**
   * Messages the actor sent, in the order it sent them, with the acknowledgement that the same
   * batch of deliveries produced (one port message per delivered batch, not two).
   */
  Type.Object({ kind: Type.Literal('out'), batch: Type.Array(outboundSchema, { minItems: 1 }), ack: Type.Optional(sequence) }),
  Type.Object({ kind: Type.Literal('pong'), id: Type.Integer() }),
  /** The actor's machine reached a final state: a normal exit (matters for transient children). */
  Type.Object({ kind: Type.Literal('done') }),
  /** The actor's machine failed (error in an action or invoked logic): a crash. */
  Type.Object({ kind: Type.Literal('failed'), error: serializedErrorSchema, seq: Type.Optional(sequence) }),
  /** The machine's state value changed (at most one per turn): the host's tree shows it without asking. */
  Type.Object({ kind: Type.Literal('state'), value: Type.Unknown() }),
  /** A message that could not cross the thread boundary (post-to-host.ts), dropped: the host counts it as malformed. */
  Type.Object({ kind: Type.Literal('dropped'), detail: Type.String({ maxLength: 1_000 }) }),
  /** An XState inspection event of the actor's machine, serialized for Stately's inspector (only when inspection is on). */
  Type.Object({ kind: Type.Literal('inspect'), event: Type.Record(Type.String(), Type.Unknown()) }),
]);
export type WorkerToHost = Static<typeof workerToHostSchema>;
