/**
 * The runtime's own readings, taken in the main thread where the facts are (mailboxes, restart
 * counts, threads' event-loop utilisation, the process), and published as `telemetry.sample` for
 * the monitor every interval. A crash on a message that crashed the actor before is published at
 * once, so a crash loop is seen at its second crash rather than a sampling interval later.
 *
 * Health probes go to every running actor's thread in parallel and are bounded by the probe
 * timeout: an unanswered probe is the reading (actor.unresponsive = 1), not a stalled sample.
 *
 * Sampling times, the interval, probe deadlines and probe durations run on the node's Clock. CPU
 * and heap-growth rates are the exception: they divide OS usage (CPU time, retained heap) by the
 * real time it took, measured by the thread itself between two of its readings (runningMs); the
 * scheduler's times, read here, over performance.now().
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { TelemetryPoint, TelemetrySample } from '../../../lib/mape/telemetry.js';
import type { ActorCell, CellCrash } from '../supervision/actor-cell.js';
import type { ActorIncarnation } from '../contracts/host.js';
import type { Clock } from '../contracts/clock.js';
import { repeatEvery, type RepeatingTimer } from '../../../lib/timing/repeat-every.js';
import { SlowWriteWatch } from './slow-write-watch.js';
import { ThreadWatch, WATCH_HANG_CPU_MS } from './thread-watch.js';
import { SettledVerification } from './settled-verification.js';
import { raceTimeout } from '../../../lib/timing/race-timeout.js';
import type { SchedStat } from '../host/thread-schedstat.js';
import { countSince, cpuBurstMs } from './thread-readings.js';

export interface RuntimeSamplerInit {
  intervalMs: number;
  probeTimeoutMs: number;
  clock: Clock;
  cells(): ActorCell[];
  /** Longest request round trip per actor since the previous call. */
  takeRequestLatencies(): Map<string, number>;
  publish(sample: TelemetrySample): void;
  /** A sample that could not be taken (the OS refused a reading): reported, and the next interval tries again. */
  sampleFailed(error: unknown): void;
}

/** The sender id of runtime telemetry on the bus. */
export const RUNTIME_SENDER = 'runtime';
/**
 * An actor's first half second is start-up: loading modules, restoring its snapshot, opening
 * connections. Rates are measured only from a reading taken after it, so start-up is never taken
 * for a CPU hog or a leak (a replaced thread's rates show from its second reading on).
 */
export const STARTUP_GRACE_MS = 500;

/** The source name of process-wide readings. */
export const PROCESS_SOURCE = 'process';

/**
 * CPU time a thread may spend without answering a probe before it is called hung: far above what
 * a health answer costs (well under a millisecond) and above the longest task a busy but healthy
 * thread runs between two turns of its loop (the chaos hog's 45 ms), yet within the probe
 * timeout on an idle core, so an idle machine finds a hang as soon as before.
 */
export const HANG_CPU_BUDGET_MS = 100;

/** A health reading kept as the baseline of the next one's rates. */
interface HealthReading {
  bytes: number;
  cpuMs: number;
  runningMs: number;
  at: number;
  sched: SchedStat | undefined;
  handled: number | undefined;
  /** Taken once the thread was seen settled (settled-verification.ts): a baseline although the thread is young. */
  settled: boolean;
}

interface Silence {
  at: number;
  progress: number;
  sched: SchedStat | undefined;
}

interface CellMemory {
  delivered: number;
  restarts: number;
}

export class RuntimeSampler {
  private timer: RepeatingTimer | undefined;
  private sampling = false;
  /** Clock time of the last sample: the interval and message rates. */
  private lastAt: number;
  /** OS time of the last process CPU reading: the CPU ratio's window. */
  private lastCpuAt = performance.now();
  private lastCpu = process.cpuUsage();
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly memory = new Map<string, CellMemory>();
  /** The last health reading per incarnation: the baseline of the next one's rates. */
  private readonly readings = new WeakMap<ActorIncarnation, HealthReading>();
  /**
   * The settled verification's readings, kept apart: a sample taken between its two readings would
   * otherwise be the second one's baseline, and a rate over those few milliseconds says nothing
   * (a leak that retains memory every 50 ms read as no growth at all).
   */
  private readonly verificationReadings = new WeakMap<ActorIncarnation, HealthReading>();
  /** Per incarnation left unanswered: since when, and its progress and scheduler times then. */
  private readonly silentSince = new WeakMap<ActorIncarnation, Silence>();
  private readonly repeatCrashes = new Map<string, number>();
  /** Repeat crashes per actor since the start, never taken: a verification counts those after its action. */
  private readonly repeatCrashTotals = new Map<string, number>();
  /** Per actor under verification, its repeat-crash total when the action was performed. */
  private readonly crashTotalsAtAction = new Map<string, number>();
  /**
   * The longest store write a verification probe took from the thread (its health answer resets
   * it), handed on to the next sample so that the sampler still sees every write.
   */
  private readonly carriedWriteMs = new WeakMap<ActorIncarnation, number>();

  /** Slow writes are told as they happen, between samples (slow-write-watch.ts). */
  private readonly writes: SlowWriteWatch;
  /** So are hung and spinning threads (thread-watch.ts). */
  private readonly threads: ThreadWatch;
  /** An actor acted on is read again as soon as it has settled (settled-verification.ts). */
  private readonly verification: SettledVerification;

  constructor(private readonly init: RuntimeSamplerInit) {
    this.lastAt = init.clock.monotonicNow();
    this.writes = new SlowWriteWatch({ clock: init.clock, cells: () => init.cells(), publish: (sample) => init.publish(sample), failed: (error) => init.sampleFailed(error) });
    this.threads = new ThreadWatch({
      clock: init.clock,
      cells: () => init.cells(),
      publish: (sample) => init.publish(sample),
      failed: (error) => init.sampleFailed(error),
      silenceMs: init.probeTimeoutMs,
      hangCpuBudgetMs: WATCH_HANG_CPU_MS,
      startupGraceMs: STARTUP_GRACE_MS,
    });
    this.verification = new SettledVerification({
      clock: init.clock,
      cells: () => init.cells(),
      probe: (cell, incarnation, settledBaseline) => this.probe(cell, incarnation, { readings: this.verificationReadings, settledBaseline }),
      cellPoints: (cell) => [
        { metric: 'actor.mailbox_depth', source: cell.id, value: cell.mailbox.depth },
        // Those since the action (the ones that opened the incident are not the action's to cure);
        // looked at, not taken: the next sample still reports its own.
        { metric: 'actor.repeat_crashes', source: cell.id, value: (this.repeatCrashTotals.get(cell.id) ?? 0) - (this.crashTotalsAtAction.get(cell.id) ?? 0) },
      ],
      publish: (sample) => init.publish(sample),
      failed: (error) => init.sampleFailed(error),
    });
  }

  start(): void {
    this.loopDelay.enable();
    this.lastAt = this.init.clock.monotonicNow();
    this.lastCpuAt = performance.now();
    this.lastCpu = process.cpuUsage();
    this.timer = repeatEvery(this.init.clock, this.init.intervalMs, () => this.sample().catch((error: unknown) => this.init.sampleFailed(error)), { unref: true });
    this.writes.start();
    this.threads.start();
    this.verification.start();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.writes.stop();
    this.threads.stop();
    this.verification.stop();
    this.loopDelay.disable();
  }

  /** A remediation was performed on `actorId`: its readings are published as soon as it has settled. */
  verifySoon(actorId: string): void {
    this.crashTotalsAtAction.set(actorId, this.repeatCrashTotals.get(actorId) ?? 0);
    // An earlier verification's last reading of the same thread is no baseline for this one.
    const current = this.init.cells().find((cell) => cell.id === actorId)?.current;
    if (current) this.verificationReadings.delete(current);
    this.verification.verifySoon(actorId);
  }

  /** An actor crashed: a repeat crash on one message is published at once. */
  crashed(actorId: string, crash: CellCrash): void {
    if (crash.crashesOnMessage < 2) return;
    this.repeatCrashes.set(actorId, (this.repeatCrashes.get(actorId) ?? 0) + 1);
    this.repeatCrashTotals.set(actorId, (this.repeatCrashTotals.get(actorId) ?? 0) + 1);
    this.init.publish({ at: this.init.clock.now(), intervalMs: 0, points: [{ metric: 'actor.repeat_crashes', source: actorId, value: 1 }] });
  }

  /**
   * An actor's mailbox reached its high-water mark: its depth is published at once, as a window of
   * its own (intervalMs 0, as a repeat crash), so a flood is judged when it builds, not at the next
   * sample. Deferred to a microtask: the mailbox tells this from inside a delivery, and publishing
   * there would route a message in the middle of routing another.
   */
  mailboxHighWater(actorId: string, depth: number): void {
    if (!this.timer) return;
    // A thread that has handled nothing since the last sample is not being flooded but stuck (hung,
    // or blocked in a slow write), and its mailbox fills behind it: the sample's probe names that,
    // which a window holding only the depth would have named a flood (and shed its messages).
    const incarnation = this.init.cells().find((cell) => cell.id === actorId && cell.state === 'running')?.current;
    const before = incarnation ? this.readings.get(incarnation)?.handled : undefined;
    const now = incarnation?.processedCount();
    if (before !== undefined && now !== undefined && countSince(now, before) === 0) return;
    queueMicrotask(() => this.init.publish({ at: this.init.clock.now(), intervalMs: 0, points: [{ metric: 'actor.mailbox_depth', source: actorId, value: depth }] }));
  }

  /** Takes one sample now (the timer calls it; tests may too). */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const at = this.init.clock.now();
      const now = this.init.clock.monotonicNow();
      const elapsedMs = Math.max(1, now - this.lastAt);
      this.lastAt = now;
      const points: TelemetryPoint[] = this.processPoints();
      const latencies = this.init.takeRequestLatencies();
      const probes: Promise<TelemetryPoint[]>[] = [];
      for (const cell of this.init.cells()) {
        points.push(...this.cellPoints(cell, elapsedMs, latencies.get(cell.id)));
        const incarnation = cell.state === 'running' ? cell.current : undefined;
        if (incarnation) probes.push(this.probe(cell, incarnation));
      }
      for (const probed of await Promise.all(probes)) points.push(...probed);
      this.init.publish({ at, intervalMs: Math.round(elapsedMs), points });
    } finally {
      this.sampling = false;
    }
  }

  private processPoints(): TelemetryPoint[] {
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    const cpuAt = performance.now();
    const cpuWindowMs = Math.max(1, cpuAt - this.lastCpuAt);
    this.lastCpuAt = cpuAt;
    const delayP99Ms = this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e6 : 0;
    this.loopDelay.reset();
    const rss = residentSetBytes();
    return [
      { metric: 'process.cpu_ratio', source: PROCESS_SOURCE, value: (cpu.user + cpu.system) / 1000 / cpuWindowMs },
      ...(rss !== undefined ? [{ metric: 'process.rss_bytes', source: PROCESS_SOURCE, value: rss }] : []),
      // V8's own count: unlike process.memoryUsage(), it needs no file of the OS's.
      { metric: 'process.heap_used_bytes', source: PROCESS_SOURCE, value: getHeapStatistics().used_heap_size },
      { metric: 'process.event_loop_delay_ms', source: PROCESS_SOURCE, value: delayP99Ms },
    ];
  }

  private cellPoints(cell: ActorCell, elapsedMs: number, requestMs: number | undefined): TelemetryPoint[] {
    const counters = cell.mailbox.counters;
    const previous = this.memory.get(cell.id) ?? { delivered: counters.delivered, restarts: cell.restarts };
    this.memory.set(cell.id, { delivered: counters.delivered, restarts: cell.restarts });
    const repeat = this.repeatCrashes.get(cell.id) ?? 0;
    this.repeatCrashes.delete(cell.id);
    const points: TelemetryPoint[] = [
      { metric: 'actor.mailbox_depth', source: cell.id, value: cell.mailbox.depth },
      { metric: 'actor.message_rate', source: cell.id, value: ((counters.delivered - previous.delivered) * 1000) / elapsedMs },
      { metric: 'actor.restarts', source: cell.id, value: cell.restarts - previous.restarts },
      { metric: 'actor.repeat_crashes', source: cell.id, value: repeat },
      { metric: 'actor.request_ms', source: cell.id, value: requestMs ?? 0 },
    ];
    const utilization = cell.state === 'running' ? cell.current?.utilizationSinceLast() : undefined;
    if (utilization !== undefined) points.push({ metric: 'actor.elu', source: cell.id, value: utilization });
    return points;
  }

  /**
   * A probe unanswered in time marks the thread unresponsive only if the thread has had a fair
   * chance to answer and made no progress: it processed nothing (a thread busy with a backlog
   * answers late but makes progress), it is not blocked in a store write (a slow store), and
   * since it was first left unanswered it either ran on a core for HANG_CPU_BUDGET_MS or is
   * asleep and slept more than it waited for a core. A thread that mostly waited for a core (a loaded machine) was
   * never given the chance: its reading is left out, and the silence is measured on from the
   * same start at the next probe, so a hung thread that only gets a small share of a core is
   * still found once it has spent the budget.
   */
  private async probe(cell: ActorCell, incarnation: ActorIncarnation, { readings = this.readings, settledBaseline = false } = {}): Promise<TelemetryPoint[]> {
    const actorId = cell.id;
    const progressBefore = progressOf(cell, incarnation);
    // OS time: a silence is compared with the kernel's scheduler times (thread-schedstat.ts).
    const started = performance.now();
    const silent = this.silentSince.get(incarnation) ?? { at: started, progress: progressBefore, sched: incarnation.schedStat() };
    this.silentSince.set(incarnation, silent);
    const answer = incarnation.health().catch(() => undefined);
    // A late answer still shows the thread turning its loop.
    void answer.then((health) => health !== undefined && this.silentSince.delete(incarnation));
    const probeStarted = this.init.clock.monotonicNow();
    let health = await raceTimeout(this.init.clock, answer, this.init.probeTimeoutMs, () => 'timeout' as const);
    // An answer already queued on a busy main thread beats the timer: one more turn of the event loop before deciding.
    if (health === 'timeout') health = await Promise.race([answer, new Promise<'timeout'>((resolve) => setImmediate(() => resolve('timeout')))]);
    const probeMs = this.init.clock.monotonicNow() - probeStarted;
    // An incarnation that ended during the probe says nothing about the actor's next one.
    if (health === undefined) return [];
    if (health === 'timeout') {
      // Blocked in a store write: a slow store, not a hung thread. OS time: the thread stamps the
      // write's start with its own wall clock.
      const writingMs = incarnation.storeWriteRunningMs(Date.now());
      const progress = progressOf(cell, incarnation);
      const progressed = countSince(progress, silent.progress) > 0 || writingMs > 0;
      if (progressed) this.silentSince.delete(incarnation);
      const verdict = progressed ? 0 : hadTheChance(silent, incarnation.schedStat(), performance.now()) ? 1 : undefined;
      return [
        { metric: 'actor.probe_ms', source: actorId, value: this.init.probeTimeoutMs },
        ...(verdict !== undefined ? [{ metric: 'actor.unresponsive' as const, source: actorId, value: verdict }] : []),
        ...(writingMs > 0 ? [{ metric: 'actor.store_write_ms' as const, source: actorId, value: writingMs }] : []),
      ];
    }
    this.silentSince.delete(incarnation);
    const previous = readings.get(incarnation);
    // OS time: the window of the thread's CPU and heap-growth rates (see the header).
    const at = performance.now();
    const sched = incarnation.schedStat();
    const handled = incarnation.processedCount();
    readings.set(incarnation, { bytes: health.retainedHeapBytes, cpuMs: health.cpuTimeMs, runningMs: health.runningMs, at, sched, handled, settled: settledBaseline });
    // Rates (CPU, retained-heap growth) only over a window that starts after the start-up grace, or
    // once the thread was seen settled (settled-verification.ts): loading modules and restoring
    // state is work and allocation, not a hog or a leak.
    const baseline = previous && (previous.runningMs >= STARTUP_GRACE_MS || previous.settled) ? previous : undefined;
    const rates: TelemetryPoint[] = [];
    if (baseline) {
      // Heap and CPU time are read by the thread at the instant it stamps runningMs: their window is
      // the thread's own, not the main thread's receipt times, which a busy main thread skews (an
      // answer read late stretches the window and dilutes a leak's growth).
      const threadElapsed = Math.max(1, health.runningMs - baseline.runningMs);
      rates.push({ metric: 'actor.retained_heap_growth_bps', source: actorId, value: ((health.retainedHeapBytes - baseline.bytes) * 1000) / threadElapsed });
      if (health.cpuTimeMs >= 0 && baseline.cpuMs >= 0) {
        rates.push({ metric: 'actor.cpu_ratio', source: actorId, value: Math.max(0, health.cpuTimeMs - baseline.cpuMs) / threadElapsed });
        if (handled !== undefined && baseline.handled !== undefined) {
          // CPU time per message or record handled: a thread busy with its input spends well under
          // a millisecond on each however loaded the machine, one spinning on its own spends its
          // whole CPU time on the few it is given (none counts as one).
          const inputs = Math.max(1, countSince(handled, baseline.handled));
          rates.push({ metric: 'actor.cpu_ms_per_input', source: actorId, value: Math.max(0, health.cpuTimeMs - baseline.cpuMs) / inputs });
        }
      }
      if (sched && baseline.sched) {
        // The scheduler's times are read here in the main thread: their window is the main thread's.
        const elapsed = Math.max(1, at - baseline.at);
        const wanted = sched.runMs - baseline.sched.runMs + (sched.waitMs - baseline.sched.waitMs);
        rates.push({ metric: 'actor.cpu_demand', source: actorId, value: Math.min(1, Math.max(0, wanted) / elapsed) });
        rates.push({ metric: 'actor.cpu_burst_ms', source: actorId, value: cpuBurstMs(baseline.sched, sched) });
      }
    }
    return [
      ...rates,
      { metric: 'actor.probe_ms', source: actorId, value: probeMs },
      { metric: 'actor.unresponsive', source: actorId, value: 0 },
      { metric: 'actor.heap_bytes', source: actorId, value: health.heapUsedBytes },
      ...this.storeWritePoints(actorId, incarnation, health.storeWriteMaxMs, readings === this.verificationReadings, previous?.handled !== undefined && handled !== undefined && countSince(handled, previous.handled) > 0),
    ];
  }

  /**
   * The longest store write of a reading: what the thread says, plus, in a sample, what a
   * verification probe took from it since. Reported only when there was a write to measure (one
   * longer than 0, or input handled since the last reading: a persistent actor writes before it
   * acknowledges): an idle thread wrote nothing, and its 0 would read as a store made fast again.
   */
  private storeWritePoints(actorId: string, incarnation: ActorIncarnation, writeMs: number, verifying: boolean, handledSince: boolean): TelemetryPoint[] {
    const carried = this.carriedWriteMs.get(incarnation) ?? 0;
    if (verifying) {
      this.carriedWriteMs.set(incarnation, Math.max(carried, writeMs));
      return handledSince || writeMs > 0 ? [{ metric: 'actor.store_write_ms', source: actorId, value: writeMs }] : [];
    }
    this.carriedWriteMs.delete(incarnation);
    const longest = Math.max(carried, writeMs);
    return handledSince || longest > 0 ? [{ metric: 'actor.store_write_ms', source: actorId, value: longest }] : [];
  }
}

/**
 * The process's resident set, or undefined when the OS does not say: libuv reads it from
 * /proc/self/stat, which needs a free descriptor, and a node out of them (a connection flood)
 * must go on sampling what it can rather than fail the sample.
 */
function residentSetBytes(): number | undefined {
  try {
    return process.memoryUsage.rss();
  } catch {
    return undefined;
  }
}

/**
 * Whether a thread silent since `silent` has had a fair chance to answer: it ran on a core for
 * the budget, or it is asleep now and slept more than it waited for a core (blocked, not kept
 * waiting). A thread runnable now may be in a wait the kernel has not counted yet, so it is not
 * judged asleep. Where the kernel does not say, an unanswered probe counts, as it always did.
 */
function hadTheChance(silent: Silence, now: SchedStat | undefined, at: number): boolean {
  if (!silent.sched || !now) return true;
  const ranMs = now.runMs - silent.sched.runMs;
  const waitedMs = now.waitMs - silent.sched.waitMs;
  const sleptMs = at - silent.at - ranMs - waitedMs;
  return ranMs >= HANG_CPU_BUDGET_MS || (!now.runnable && sleptMs > waitedMs);
}

/** Messages and other input processed so far: the thread's own count where it has one, else the acknowledgements. */
function progressOf(cell: ActorCell, incarnation: ActorIncarnation): number {
  return incarnation.processedCount() ?? cell.mailbox.counters.acked;
}
