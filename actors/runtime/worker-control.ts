/**
 * The control plane of a worker thread (comlink on the worker's parentPort): start, stop,
 * snapshot, health and fault injection. Low-rate calls only; bus traffic has its own port.
 * Arguments are validated in the worker, results in the host.
 */
import { z } from 'zod';

export const startActorSchema = z.object({
  actorId: z.string().min(1),
  /** file: URL or absolute path of the compiled actor module (default export: ActorDefinition). */
  module: z.string().min(1),
  options: z.record(z.string(), z.unknown()),
  databasePath: z.string().min(1),
  runId: z.string().min(1),
  throttleMs: z.number().int().nonnegative(),
});
export type StartActor = z.infer<typeof startActorSchema>;

export const startResultSchema = z.object({ restoredSeq: z.number().int().nonnegative() });
export type StartResult = z.infer<typeof startResultSchema>;

export const stopResultSchema = z.object({ ackedSeq: z.number().int().nonnegative() });
export type StopResult = z.infer<typeof stopResultSchema>;

export const healthSchema = z.object({
  state: z.unknown(),
  heapUsedBytes: z.number(),
});
export type WorkerHealth = z.infer<typeof healthSchema>;

/** Faults a test or chaos run can inject into an actor. */
export const faultKindSchema = z.enum(['throw', 'exit', 'hang']);
export type FaultKind = z.infer<typeof faultKindSchema>;

export interface WorkerControl {
  /** Answers once the thread has loaded the runtime: used to keep spare workers warm. */
  hello(): Promise<'ready'>;
  start(init: StartActor): Promise<StartResult>;
  /** Stops the actor gracefully; answers with the last sequence it acknowledged. */
  stop(): Promise<StopResult>;
  snapshot(): Promise<unknown>;
  health(): Promise<WorkerHealth>;
  inject(kind: FaultKind): Promise<void>;
}
