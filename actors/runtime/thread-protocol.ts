/**
 * The bus protocol between the host (main thread) and an actor's worker thread, over a
 * dedicated MessagePort. One discriminated union per direction, validated at run time on
 * the receiving side: a thread boundary is a trust boundary for memory safety of the host
 * (a confused worker must not corrupt the mailbox), so nothing is trusted by type alone.
 *
 * Control-plane calls (start, stop, snapshot, health, fault injection) use comlink on the
 * worker's parentPort instead; see worker-control.ts.
 */
import { z } from 'zod';

const serializedErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

export const envelopeSchema = z.object({
  seq: z.number().int().nonnegative(),
  topic: z.string().min(1),
  payload: z.unknown(),
  from: z.string().min(1),
  requestId: z.string().min(1).optional(),
  sentAt: z.number(),
});

/** Host → worker. */
export const hostToWorkerSchema = z.discriminatedUnion('kind', [
  /** Messages to process, in mailbox order. */
  z.object({ kind: z.literal('deliver'), batch: z.array(envelopeSchema).min(1) }),
  /** Liveness probe: answered from the worker's event loop, so a hung loop never answers. */
  z.object({ kind: z.literal('ping'), id: z.number().int() }),
  /** Backpressure: stop (or resume) processing, because a destination the worker publishes to is full and blocks. */
  z.object({ kind: z.literal('pause'), paused: z.boolean() }),
]);
export type HostToWorker = z.infer<typeof hostToWorkerSchema>;

const outboundSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('publish'), topic: z.string().min(1), payload: z.unknown() }),
  z.object({ kind: z.literal('reply'), requestId: z.string().min(1), payload: z.unknown() }),
  z.object({ kind: z.literal('reply-error'), requestId: z.string().min(1), error: z.string() }),
]);
export type Outbound = z.infer<typeof outboundSchema>;

/** Worker → host. */
export const workerToHostSchema = z.discriminatedUnion('kind', [
  /** Everything up to and including `seq` is processed and, for persistent actors, covered by a stored snapshot. */
  z.object({ kind: z.literal('ack'), seq: z.number().int().nonnegative() }),
  /** Messages the actor sends, in the order it sent them. */
  z.object({ kind: z.literal('out'), batch: z.array(outboundSchema).min(1) }),
  z.object({ kind: z.literal('pong'), id: z.number().int() }),
  /** The actor's machine reached a final state: a normal exit (matters for transient children). */
  z.object({ kind: z.literal('done') }),
  /** The actor's machine failed (error in an action or invoked logic): a crash. */
  z.object({ kind: z.literal('failed'), error: serializedErrorSchema }),
]);
export type WorkerToHost = z.infer<typeof workerToHostSchema>;

/** Parses with a schema; returns the issue summary instead of throwing so callers decide the error type. */
export function parseMessage<T>(
  schema: z.ZodType<T>,
  data: unknown,
): { ok: true; value: T } | { ok: false; detail: string } {
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  const detail = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, detail };
}
