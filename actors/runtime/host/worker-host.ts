/**
 * The worker host: each actor incarnation in its own worker thread. Bus traffic goes over a
 * raw MessagePort in batches; control calls over the parentPort (thread-control-client.ts). A
 * crash is an uncaught error, a thread exit, a machine failure, or a missed liveness deadline
 * (the thread is terminated).
 *
 * Its times are the OS's, not the node's Clock (as are the ops edges' socket and watchdog timers
 * and the sampler's CPU windows): pings, liveness deadlines, the start deadline and the
 * stop timeout are about a real thread answering in real time, which a virtual clock cannot make
 * it do sooner or later. Simulations run their actors on the inline host.
 */
import { rebuildError, RuntimeError, WorkerExitedError } from '../errors.js';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { ActorIncarnation, ActorLaunch, ExitInfo, Host, IncarnationEvents } from '../contracts/host.js';
import type { Envelope } from '../contracts/envelope.js';
import type { HostToWorker } from './thread-protocol.js';
import type { FaultKind } from './worker/worker-control.js';
import { health, startResult, stopResult, workerToHost } from './thread-protocol-validation.js';
import { describeExit, SpareWorker } from './spare-worker.js';
import { WorkerPool } from './worker-pool.js';
import { packDelivery } from './delivery-columns.js';
import { describeCloneError } from './describe-clone-error.js';
import { realClock } from '../contracts/clock.js';
import { raceTimeout } from '../../../lib/timing/race-timeout.js';
import { threadSchedStat, threadSchedTimes, type SchedStat } from './thread-schedstat.js';
import { CoreWaitMarks } from './core-wait-marks.js';

/** An actor ended on purpose by a remediation (restart-actor): its supervisor restarts it. */
export class KilledByRemediationError extends RuntimeError {
  constructor(
    readonly actorId: string,
    readonly why: string,
  ) {
    super(`actor '${actorId}' was restarted by the self-healing loop: ${why}`);
  }
}

/** A start that went on past the start limit with its thread still answering (see DEFAULT_START_LIMIT_MS). */
export class StartLimitError extends RuntimeError {
  constructor(
    readonly actorId: string,
    readonly limitMs: number,
  ) {
    super(`actor '${actorId}' did not finish starting within ${limitMs} ms`);
  }
}

/** A worker that missed its liveness deadline: its event loop is hung. */
export class LivenessTimeoutError extends RuntimeError {
  constructor(
    readonly actorId: string,
    readonly timeoutMs: number,
    /** How long it was silent in all, and how much of that it waited for a core (not counted against it). */
    readonly silentMs?: number,
    readonly waitedForCoreMs?: number,
  ) {
    const silence = silentMs !== undefined ? ` (silent for ${Math.round(silentMs)} ms, ${Math.round(waitedForCoreMs ?? 0)} of them waiting for a core)` : '';
    super(`actor '${actorId}' did not answer within its liveness deadline of ${timeoutMs} ms${silence}`);
  }
}

/**
 * Longest a start may take while its thread keeps answering pings: a module that awaits forever at
 * its top level. Far beyond any module load seen on a loaded machine (the identity actor's, the
 * heaviest, about 2.5 s on 2 shared cores at a load average of 15); a thread that stops answering
 * is given up after the liveness timeout instead.
 */
export const DEFAULT_START_LIMIT_MS = 30_000;

export interface WorkerHostInit {
  /** Pre-spawned spare workers; 0 spawns a new thread for every start. */
  spareWorkers: number;
  /** The node's store, which spares open ahead of their start (it must exist by the time the first launch is taken). */
  databasePath?: string;
  /**
   * The actor modules of the launches to come, in start order (the tree's worker actors): a thread
   * is prepared for each at once, in parallel, while the tree starts in order.
   */
  launches?: readonly string[];
  /** See DEFAULT_START_LIMIT_MS. */
  startLimitMs?: number;
}

export function createWorkerHost(init: WorkerHostInit): Host {
  const pool = new WorkerPool(init.spareWorkers, init.databasePath);
  pool.prepareLaunches(init.launches ?? []);
  const startLimitMs = init.startLimitMs ?? DEFAULT_START_LIMIT_MS;
  const live = new Set<WorkerIncarnation>();
  return {
    kind: 'worker',
    async launch(spec, events) {
      const warm = await pool.take(spec.module);
      const incarnation = new WorkerIncarnation(warm, spec, events, startLimitMs, () => live.delete(incarnation), (stopped) => pool.recycle(stopped));
      live.add(incarnation);
      try {
        await incarnation.start();
      } catch (error) {
        await incarnation.abort();
        throw error;
      }
      pool.started(warm, spec.module);
      return incarnation;
    },
    async close() {
      await Promise.all([...live].map((incarnation) => incarnation.abort()));
      await pool.close();
    },
  };
}

class WorkerIncarnation implements ActorIncarnation {
  restoredSeq = 0;
  private lastAliveAt = performance.now();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  private pingId = 0;
  private lastUtilization: EventLoopUtilization | undefined;
  /** Set once the exit is decided (stop, final state, failure or hang): the first reason wins. */
  private exitReason: ExitInfo | undefined;
  /** No exit event until the start succeeded (a failed start is the launch's rejection), nor after a requested stop. */
  private silenced = true;
  /** The thread's waits for a core, marked at every liveness tick (core-wait-marks.ts). */
  private readonly coreWaits = new CoreWaitMarks(() => threadSchedTimes(this.warm.signals.readOsThreadId()));

  constructor(
    private readonly warm: SpareWorker,
    private readonly spec: ActorLaunch,
    private readonly events: IncarnationEvents,
    private readonly startLimitMs: number,
    private readonly onGone: () => void,
    /** Takes back the thread after a clean stop, for the next start. */
    private readonly recycle: (warm: SpareWorker) => void,
  ) {
    warm.label = spec.actorId;
    warm.onBusMessage((data) => this.onBusMessage(data));
    void warm.exited.then((exit) => {
      this.clearTimers();
      this.onGone();
      if (this.silenced) return;
      this.silenced = true;
      this.events.exit(this.exitReason ?? { normal: false, reason: describeExit(exit), ...(exit.error ? { error: exit.error } : {}) });
    });
  }

  async start(): Promise<void> {
    // A module that never finishes loading must not hang the supervisor. A thread stuck at a
    // module's top level (a busy loop) stops answering pings: starting gets the same liveness
    // deadline as running. A thread still loading answers them (module files are read
    // asynchronously), however long a loaded machine makes the load; one that answers but never
    // finishes (a top-level await that never settles) meets the start limit.
    this.lastAliveAt = performance.now();
    this.startPinging();
    const limit = setTimeout(() => {
      const error = new StartLimitError(this.spec.actorId, this.startLimitMs);
      this.exitWith({ normal: false, reason: `start: ${error.message}`, error });
    }, this.startLimitMs);
    const result = await this.warm
      .call(() =>
        this.warm.control.start({
          actorId: this.spec.actorId,
          module: this.spec.module,
          options: this.spec.options,
          databasePath: this.spec.databasePath,
          runId: this.spec.runId,
          throttleMs: this.spec.throttleMs,
          ...(this.spec.inspect ? { inspect: true } : {}),
        }),
      )
      // A start this host gave up on (liveness, start limit) fails with why, not with the thread's
      // exit that followed: "exited before answering" alone sent a reader looking for a crash.
      .catch((error: unknown) => {
        throw this.exitReason?.error ?? error;
      })
      .finally(() => clearTimeout(limit));
    // The start answered just as this host gave up on it (the start limit fired first): given up is given up.
    if (this.exitReason) throw this.exitReason.error ?? new WorkerExitedError(this.spec.actorId, this.exitReason.reason);
    this.restoredSeq = startResult.expect(result, 'start result').restoredSeq;
    if (!this.warm.isAlive) throw new WorkerExitedError(this.spec.actorId, 'exited as it started');
    this.silenced = false;
    this.lastAliveAt = performance.now();
    this.lastUtilization = this.warm.worker.performance.eventLoopUtilization();
  }

  deliver(batch: Envelope[]): void {
    if (!this.warm.isAlive) return;
    try {
      this.warm.busPort.postMessage(packDelivery(batch));
    } catch (error) {
      // Only a payload published in this thread can fail to clone (what came from a thread was
      // cloned once already): a throw here would end the process from the mailbox's pump.
      this.deliverCrossable(batch, error);
    }
  }

  /** After a batch failed to cross: each message that can goes on, in order; each that cannot is reported. */
  private deliverCrossable(batch: readonly Envelope[], batchError: unknown): void {
    const crossable: Envelope[] = [];
    for (const envelope of batch) {
      try {
        structuredClone(envelope.payload);
        crossable.push(envelope);
      } catch (error) {
        this.events.undeliverable(envelope, `cannot cross to the actor's thread: ${describeCloneError(error)}`);
      }
    }
    if (crossable.length === batch.length) {
      // Every payload clones alone, yet the batch did not: a payload nested just under the clone's
      // stack limit, which the columns' two extra levels push over. Each goes alone; one that still
      // fails is a batch of one, and only it is reported.
      if (batch.length === 1) this.events.undeliverable(batch[0]!, `cannot cross to the actor's thread: ${describeCloneError(batchError)}`);
      else for (const envelope of batch) this.deliver([envelope]);
      return;
    }
    if (crossable.length > 0) this.deliver(crossable);
  }

  setPaused(paused: boolean): void {
    this.post({ kind: 'pause', paused });
  }

  snapshot(): Promise<unknown> {
    return this.warm.call(() => this.warm.control.snapshot());
  }

  async health() {
    return health.expect(await this.warm.call(() => this.warm.control.health()), 'health');
  }

  inject(kind: FaultKind): Promise<void> {
    return this.warm.call(() => this.warm.control.inject(kind));
  }

  utilizationSinceLast(): number | undefined {
    if (!this.warm.isAlive) return undefined;
    const now = this.warm.worker.performance.eventLoopUtilization();
    const since = this.lastUtilization ? this.warm.worker.performance.eventLoopUtilization(now, this.lastUtilization) : now;
    this.lastUtilization = now;
    return since.utilization;
  }

  processedCount(): number {
    return this.warm.signals.processedCount();
  }

  retainedHeap(): { kib: number; atMs: number } | undefined {
    return this.warm.signals.readRetainedHeap();
  }

  loopIdleMs(): number | undefined {
    return this.warm.isAlive ? this.warm.worker.performance.eventLoopUtilization().idle : undefined;
  }

  storeWriteRunningMs(now: number): number {
    return this.warm.signals.storeWriteRunningMs(now);
  }

  schedStat(): SchedStat | undefined {
    return threadSchedStat(this.warm.signals.readOsThreadId());
  }

  kill(reason: string): void {
    const error = new KilledByRemediationError(this.spec.actorId, reason);
    // Ordered only if the kill ends it: an exit already decided (a crash, a missed deadline) stands.
    this.exitWith({ normal: false, reason: error.message, error, ordered: true });
  }

  async stop(timeoutMs: number): Promise<void> {
    this.silenced = true;
    this.clearTimers();
    try {
      const stopped = await raceTimeout(realClock, this.warm.call(() => this.warm.control.stop()), timeoutMs, () => undefined);
      if (stopped !== undefined) {
        // Whatever the thread posted before its stop reply is queued on our side already: take it
        // before the thread serves anyone else. The reply itself carries the last acknowledgement.
        this.warm.drainBus();
        this.events.ack(stopResult.expect(stopped, 'stop result').ackedSeq);
        this.warm.onBusMessage(() => undefined);
        this.onGone();
        // A thread whose actor stopped cleanly is as good as a spare: siblings restarted together
        // (one_for_all, rest_for_one) then need no new isolates.
        this.recycle(this.warm);
        return;
      }
    } catch {
      // The worker died while stopping: it is stopped all the same.
    }
    await this.warm.terminate();
  }

  /** Terminates without a graceful stop and without an exit event (launch failed, host closing). */
  async abort(): Promise<void> {
    this.silenced = true;
    this.clearTimers();
    await this.warm.terminate();
  }

  private post(message: HostToWorker): void {
    if (this.warm.isAlive) this.warm.busPort.postMessage(message);
  }

  private onBusMessage(data: unknown): void {
    this.lastAliveAt = performance.now();
    const parsed = workerToHost.parse(data);
    if (!parsed.ok) {
      this.events.malformed(parsed.detail);
      return;
    }
    const message = parsed.value;
    switch (message.kind) {
      case 'ack':
        this.events.ack(message.seq);
        return;
      case 'out':
        this.events.outbound(message.batch);
        if (message.ack !== undefined) this.events.ack(message.ack);
        return;
      case 'pong':
        return;
      case 'dropped':
        this.events.malformed(message.detail);
        return;
      case 'state':
        this.events.state?.(message.value);
        return;
      case 'inspect':
        this.events.inspect?.(message.event);
        return;
      case 'done':
        this.exitWith({ normal: true, reason: 'machine reached a final state' });
        return;
      case 'failed': {
        const error = rebuildError(message.error);
        this.exitWith({
          normal: false,
          reason: `machine failed: ${error.name}: ${error.message}`,
          error,
          ...(message.seq !== undefined ? { seq: message.seq } : {}),
        });
        return;
      }
    }
  }

  private exitWith(info: ExitInfo): void {
    this.exitReason ??= info;
    this.clearTimers();
    void this.warm.terminate();
  }

  /** Pings at the liveness interval and arms the deadline: from the start call on, for the incarnation's life. */
  private startPinging(): void {
    this.coreWaits.mark(performance.now(), this.lastAliveAt);
    this.pingTimer = setInterval(() => {
      this.coreWaits.mark(performance.now(), this.lastAliveAt);
      this.post({ kind: 'ping', id: ++this.pingId });
    }, this.spec.liveness.intervalMs);
    this.armDeadline(this.lastAliveAt + this.spec.liveness.timeoutMs - performance.now());
  }

  /**
   * How much of a silence of `silentMs` since lastAliveAt the thread could have answered in, and
   * how much of it it waited for a core. Asleep or blocked now: all of the silence but its waits.
   * Runnable now: only what it ran, since the wait under way is not in the kernel's count yet and
   * would otherwise be held against it (a busy loop runs, so it is still found).
   */
  private answerable(silentMs: number): { answerableMs: number; waitedMs: number } {
    const now = threadSchedStat(this.warm.signals.readOsThreadId());
    const since = this.coreWaits.since(this.lastAliveAt, now);
    if (!now || !since) return { answerableMs: silentMs, waitedMs: 0 };
    const waitedMs = Math.min(silentMs, since.waitMs);
    return { answerableMs: now.runnable ? Math.min(silentMs, since.runMs) : silentMs - waitedMs, waitedMs };
  }

  /**
   * Fires when the worker has been silent for the liveness timeout, not counting the time it waited
   * for a core (core-wait-marks.ts): what ends a thread is a silence it could have broken. Before
   * deciding, what the thread already said is taken off the port: a main thread that was itself
   * busy (a synchronous self-test, a long collection) has answers queued that it has not read.
   */
  private armDeadline(delayMs: number): void {
    this.deadlineTimer = setTimeout(() => {
      this.warm.drainBus();
      // What was drained may have ended the incarnation (a final state, a failure).
      if (this.exitReason) return;
      const timeoutMs = this.spec.liveness.timeoutMs;
      const silentMs = performance.now() - this.lastAliveAt;
      const { answerableMs, waitedMs } = silentMs >= timeoutMs ? this.answerable(silentMs) : { answerableMs: silentMs, waitedMs: 0 };
      if (answerableMs >= timeoutMs) {
        const error = new LivenessTimeoutError(this.spec.actorId, timeoutMs, silentMs, waitedMs);
        this.exitWith({ normal: false, reason: error.message, error });
      } else {
        this.armDeadline(timeoutMs - answerableMs);
      }
    }, Math.max(0, delayMs));
  }

  private clearTimers(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.pingTimer = undefined;
    this.deadlineTimer = undefined;
  }
}

