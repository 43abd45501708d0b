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
 * real time it took, so their windows are measured with performance.now().
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { TelemetryPoint, TelemetrySample } from '../../../lib/mape/telemetry.js';
import type { ActorCell, CellCrash } from '../supervision/actor-cell.js';
import type { ActorIncarnation } from '../contracts/host.js';
import type { Clock } from '../contracts/clock.js';
import { repeatEvery, type RepeatingTimer } from '../../../lib/timing/repeat-every.js';
import { raceTimeout } from '../../../lib/timing/race-timeout.js';

export interface RuntimeSamplerInit {
  intervalMs: number;
  probeTimeoutMs: number;
  clock: Clock;
  cells(): ActorCell[];
  /** Longest request round trip per actor since the previous call. */
  takeRequestLatencies(): Map<string, number>;
  publish(sample: TelemetrySample): void;
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
  private readonly readings = new WeakMap<ActorIncarnation, { bytes: number; cpuMs: number; runningMs: number; at: number }>();
  private readonly repeatCrashes = new Map<string, number>();

  constructor(private readonly init: RuntimeSamplerInit) {
    this.lastAt = init.clock.monotonicNow();
  }

  start(): void {
    this.loopDelay.enable();
    this.lastAt = this.init.clock.monotonicNow();
    this.lastCpuAt = performance.now();
    this.lastCpu = process.cpuUsage();
    this.timer = repeatEvery(this.init.clock, this.init.intervalMs, () => void this.sample(), { unref: true });
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.loopDelay.disable();
  }

  /** An actor crashed: a repeat crash on one message is published at once. */
  crashed(actorId: string, crash: CellCrash): void {
    if (crash.crashesOnMessage < 2) return;
    this.repeatCrashes.set(actorId, (this.repeatCrashes.get(actorId) ?? 0) + 1);
    this.init.publish({ at: this.init.clock.now(), intervalMs: 0, points: [{ metric: 'actor.repeat_crashes', source: actorId, value: 1 }] });
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
    const memory = process.memoryUsage();
    const delayP99Ms = this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e6 : 0;
    this.loopDelay.reset();
    return [
      { metric: 'process.cpu_ratio', source: PROCESS_SOURCE, value: (cpu.user + cpu.system) / 1000 / cpuWindowMs },
      { metric: 'process.rss_bytes', source: PROCESS_SOURCE, value: memory.rss },
      { metric: 'process.heap_used_bytes', source: PROCESS_SOURCE, value: memory.heapUsed },
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
   * A probe unanswered in time marks the thread unresponsive only if the actor also processed
   * nothing meanwhile: a thread busy with a backlog answers late but makes progress; a hung one
   * makes none.
   */
  private async probe(cell: ActorCell, incarnation: ActorIncarnation): Promise<TelemetryPoint[]> {
    const actorId = cell.id;
    const progressBefore = progressOf(cell, incarnation);
    const started = this.init.clock.monotonicNow();
    const health = await raceTimeout(
      this.init.clock,
      incarnation.health().catch(() => undefined),
      this.init.probeTimeoutMs,
      () => 'timeout' as const,
    );
    const probeMs = this.init.clock.monotonicNow() - started;
    // An incarnation that ended during the probe says nothing about the actor's next one.
    if (health === undefined) return [];
    if (health === 'timeout') {
      // Blocked in a store write: a slow store, not a hung thread. OS time: the thread stamps the
      // write's start with its own wall clock.
      const writingMs = incarnation.storeWriteRunningMs(Date.now());
      const progressed = progressOf(cell, incarnation) > progressBefore || writingMs > 0;
      return [
        { metric: 'actor.probe_ms', source: actorId, value: this.init.probeTimeoutMs },
        { metric: 'actor.unresponsive', source: actorId, value: progressed ? 0 : 1 },
        ...(writingMs > 0 ? [{ metric: 'actor.store_write_ms', source: actorId, value: writingMs }] : []),
      ];
    }
    const previous = this.readings.get(incarnation);
    // OS time: the window of the thread's CPU and heap-growth rates (see the header).
    const at = performance.now();
    this.readings.set(incarnation, { bytes: health.retainedHeapBytes, cpuMs: health.cpuTimeMs, runningMs: health.runningMs, at });
    // Rates (CPU, retained-heap growth) only over a window that starts after the start-up grace:
    // loading modules and restoring state is work and allocation, not a hog or a leak.
    const baseline = previous && previous.runningMs >= STARTUP_GRACE_MS ? previous : undefined;
    const elapsed = baseline ? Math.max(1, at - baseline.at) : 1;
    const rates: TelemetryPoint[] = [];
    if (baseline) {
      rates.push({ metric: 'actor.retained_heap_growth_bps', source: actorId, value: ((health.retainedHeapBytes - baseline.bytes) * 1000) / elapsed });
      if (health.cpuTimeMs >= 0 && baseline.cpuMs >= 0) {
        rates.push({ metric: 'actor.cpu_ratio', source: actorId, value: Math.max(0, health.cpuTimeMs - baseline.cpuMs) / elapsed });
      }
    }
    return [
      ...rates,
      { metric: 'actor.probe_ms', source: actorId, value: probeMs },
      { metric: 'actor.unresponsive', source: actorId, value: 0 },
      { metric: 'actor.heap_bytes', source: actorId, value: health.heapUsedBytes },
      { metric: 'actor.store_write_ms', source: actorId, value: health.storeWriteMaxMs },
    ];
  }
}

/** Messages processed so far: the thread's own count where it has one, else the acknowledgements. */
function progressOf(cell: ActorCell, incarnation: ActorIncarnation): number {
  return incarnation.processedCount() ?? cell.mailbox.counters.acked;
}
