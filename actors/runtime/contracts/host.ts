/**
 * The Host contract: runs incarnations of actors. Two implementations run the same actor
 * definitions: the worker host (a worker thread per actor, production) and the inline host
 * (the caller's thread, for simulation and unit tests). Which host runs an actor is configuration.
 */
import type { Envelope } from './envelope.js';
import type { Outbound } from '../host/thread-protocol.js';
import type { FaultKind, WorkerHealth } from '../host/worker/worker-control.js';
import type { SchedStat } from '../host/thread-schedstat.js';

export type HostKind = 'worker' | 'inline';

export interface ExitInfo {
  /** Normal: the machine reached a final state, or the host stopped it on request. */
  normal: boolean;
  reason: string;
  error?: Error;
  /** The mailbox sequence of the message being processed when the actor failed, if it was processing one. */
  seq?: number;
  /**
   * Ended on purpose by a remediation's restart (ActorCell.kill), not by a fault of its own: set by
   * the host only when the kill is what ended the incarnation (an exit already decided stands). The
   * supervisor restarts it at once, against a budget of its own (supervisor.ts), and the message it
   * was on is not held against it.
   */
  ordered?: boolean;
}

export interface IncarnationEvents {
  ack(seq: number): void;
  outbound(batch: Outbound[]): void;
  exit(info: ExitInfo): void;
  /** A message from the actor's thread broke the protocol: counted, dropped, the host keeps running. */
  malformed(detail: string): void;
  /**
   * A delivered message that cannot reach the actor's thread (its payload is not structured-
   * cloneable: a function, a symbol, nesting deeper than the clone's stack), published in the
   * node's own thread. The rest of its batch went on; this one is the host's to drop.
   */
  undeliverable(envelope: Envelope, detail: string): void;
  /** The machine's state value, at the start and whenever it changes. */
  state?(value: unknown): void;
  /** An inspection event of the actor's machine (when the launch asked for them). */
  inspect?(event: Record<string, unknown>): void;
}

export interface ActorLaunch {
  actorId: string;
  module: string;
  options: Record<string, unknown>;
  databasePath: string;
  runId: string;
  throttleMs: number;
  liveness: { intervalMs: number; timeoutMs: number };
  /** Forward the machine's inspection events (events.inspect). */
  inspect?: boolean;
}

/** One run of an actor, from start to exit. A restart is a new incarnation. */
export interface ActorIncarnation {
  readonly restoredSeq: number;
  deliver(batch: Envelope[]): void;
  setPaused(paused: boolean): void;
  snapshot(): Promise<unknown>;
  health(): Promise<WorkerHealth>;
  inject(kind: FaultKind): Promise<void>;
  /**
   * Event-loop utilisation of the actor's thread (0..1) since the previous call, or since the
   * start; undefined where the actor has no thread of its own (inline).
   */
  utilizationSinceLast(): number | undefined;
  /**
   * How long the actor's thread's event loop has sat idle, waiting for work, since it started (ms,
   * only ever growing), read without asking the thread; undefined inline. A thread whose idle time
   * does not grow and which processes nothing has not turned its loop.
   */
  loopIdleMs(): number | undefined;
  /**
   * The thread's retained heap as it last wrote it down (KiB) and when, by its own clock (ms, 32
   * bits that wrap: compare two stamps by their difference), read without asking it; undefined
   * inline, or before the thread's first reading.
   */
  retainedHeap(): { kib: number; atMs: number } | undefined;
  /**
   * How many messages the actor has processed plus the input it counted (ActorIo.inputHandled), as
   * its thread counts them without being asked (undefined inline): progress between two reads
   * means the thread is not hung. A signed 32-bit count that wraps: compare two reads by their
   * difference modulo 2^32, never by which is larger.
   */
  processedCount(): number | undefined;
  /**
   * The scheduler's run and wait times of the actor's thread, read without asking the thread
   * (thread-schedstat.ts); undefined inline, or where the kernel does not say.
   */
  schedStat(): SchedStat | undefined;
  /** How long the store write the actor's thread is in has lasted (0 when none; inline: 0). */
  storeWriteRunningMs(now: number): number;
  /** Ends the incarnation at once as a crash (its exit event follows): a remediation's restart. */
  kill(reason: string): void;
  /** Graceful stop (state written, processed messages acknowledged); no exit event follows. */
  stop(timeoutMs: number): Promise<void>;
}

export interface Host {
  readonly kind: HostKind;
  launch(spec: ActorLaunch, events: IncarnationEvents): Promise<ActorIncarnation>;
  close(): Promise<void>;
}
