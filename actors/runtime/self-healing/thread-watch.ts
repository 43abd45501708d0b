/**
 * A hung thread and a thread spinning on its own, told as they happen rather than at the next
 * sample. Every THREAD_WATCH_EVERY_MS the main thread looks at each actor thread without asking it
 * (it may be the one that cannot answer): how long its event loop has sat idle (Node's loop
 * metrics), how much it has processed (shared memory, thread-signals.ts) and, only for a thread
 * that looks stuck or busy, the kernel's scheduler times (thread-schedstat.ts).
 *
 * - Hung: since a look that found it alive, the loop never went idle, nothing was processed, no
 *   store write is under way (a slow store blocks the loop too, and is told by the slow-write
 *   watch), for the probe timeout, and the thread ran WATCH_HANG_CPU_MS on a core in that time.
 *   A thread that only waits for a core (a loaded machine) runs nothing and is not called hung.
 *   A thread is watched only after the sampler's start-up grace and its loop's first idle turn:
 *   before, it is loading modules and restoring its state (a thread that never gets past that is
 *   the liveness deadline's).
 * - Spinning: a thread whose loop was busy at a look has its scheduler times read then and
 *   HOG_WINDOW_MS later; a window in which it wanted a core for at least half the time is
 *   published with the CPU-hog rule's readings (CPU share and demand, CPU per yield, CPU per input
 *   handled), and the rules in the knowledge base judge it, as they judge a sample's.
 *
 * - Leaking: the retained heap (the old and large-object spaces, which the thread writes down
 *   every HEAP_SIGNAL_EVERY_MS in shared memory) grew at a quarter of the leak rule's rate or
 *   more over the last HEAP_WINDOW_MS: published as a growth rate for the rules to judge.
 *
 * Each finding is a window of its own (intervalMs 0, as a repeat crash). The looks are a few
 * reads of memory per actor; the /proc files are read only for a thread that is silent or busy.
 */
import type { ActorCell } from '../supervision/actor-cell.js';
import type { ActorIncarnation } from '../contracts/host.js';
import type { Clock } from '../contracts/clock.js';
import type { SchedStat } from '../host/thread-schedstat.js';
import type { TelemetryPoint, TelemetrySample } from '../../../lib/mape/telemetry.js';
import type { RepeatingTimer } from '../../../lib/timing/repeat-every.js';
import { lookEvery } from './look-every.js';
import { countSince, cpuBurstMs } from './thread-readings.js';

export const THREAD_WATCH_EVERY_MS = 50;
/**
 * CPU time a silent thread must have run to be called hung by the watch: half again the sampler's
 * probe budget (HANG_CPU_BUDGET_MS), because the watch looks at every silence, not only one a
 * probe happens to fall in. An actor's thread that keeps its loop from turning for the probe
 * timeout and this much of its own CPU stops its mailbox and its control answers as a hang does;
 * a task that long belongs in a worker of its own or in slices. On an idle core a hang is told
 * about a quarter of a second after it starts (the probe timeout and a look); on a loaded one,
 * where it gets two thirds of a core, once it has run this much (about a third of a second).
 */
export const WATCH_HANG_CPU_MS = 150;
/**
 * The span of a spinning thread's CPU readings: long enough to hold several of a runaway loop's
 * turns (the chaos hog's 50 ms period) so that its CPU per yield is its own, short enough that a
 * hog is told about a quarter of a second after it starts.
 */
export const HOG_WINDOW_MS = 200;
/**
 * The span of a heap-growth reading: three of the thread's heap readings (HEAP_SIGNAL_EVERY_MS),
 * so one promotion of survivors into the old space is a small part of it.
 */
export const HEAP_WINDOW_MS = 300;
/**
 * Growth at least this fast is published for the rules to judge: a quarter of the seeded leak
 * rule's 16 MiB/s (migration 3), so a rule an operator lowers still sees it, while a thread
 * settling its working set (a few hundred KiB promoted now and then) stays under it.
 */
const TOLD_HEAP_GROWTH_BPS = 4 * 1024 * 1024;
/** A look at which the loop was idle for less than half the time since the last one finds it busy. */
const BUSY_UTILIZATION = 0.5;
/**
 * A window in which the thread wanted a core (ran or waited for one) at least this share of the
 * time is published for the rules to judge. Wanting, not running: on a loaded machine a runaway
 * loop gets a fraction of a core, but it wants one all the time.
 */
const TOLD_CPU_DEMAND = 0.5;

export interface ThreadWatchInit {
  clock: Clock;
  cells(): ActorCell[];
  publish(sample: TelemetrySample): void;
  /** A look that failed (a fault of this code): reported, and the next look tries again. */
  failed(error: unknown): void;
  /** How long a thread must stay silent to be called hung: the sampler's probe timeout. */
  silenceMs: number;
  /** CPU time a silent thread must have run to be called hung. */
  hangCpuBudgetMs: number;
  /** A new incarnation is not watched before this long (the sampler's STARTUP_GRACE_MS): it is loading modules and restoring its state. */
  startupGraceMs: number;
}

interface Watched {
  /** OS time of the last look, and what the thread's counters said then. */
  at: number;
  idleMs: number;
  progress: number;
  /** OS time of the first look at this incarnation. */
  firstSeenAt: number;
  /** Start-up is over: the sampler's start-up grace has passed since the first look, and the loop has gone idle since. */
  started: boolean;
  /** Since when (OS time) and from which run time the thread has shown no life; undefined while alive. */
  silence: { since: number; runMs: number } | undefined;
  /** This silence has been told. */
  hangTold: boolean;
  /**
   * The start of a spinning window under way, and whether the loop has turned in it (gone idle or
   * processed something): a loop that never turns is hung, which the hang check names; its CPU
   * readings alone would read as a hog's.
   */
  window: { at: number; sched: SchedStat; progress: number; turned: boolean } | undefined;
  /** The thread's recent heap readings, oldest first. */
  heap: { kib: number; atMs: number }[];
}

export class ThreadWatch {
  private timer: RepeatingTimer | undefined;
  private readonly watched = new WeakMap<ActorIncarnation, Watched>();

  constructor(private readonly init: ThreadWatchInit) {}

  start(): void {
    this.timer ??= lookEvery(this.init.clock, THREAD_WATCH_EVERY_MS, () => this.check(), (error) => this.init.failed(error));
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One look at every running actor's thread (the timer calls it; tests may too). */
  check(): void {
    const points: TelemetryPoint[] = [];
    for (const cell of this.init.cells()) {
      const incarnation = cell.state === 'running' ? cell.current : undefined;
      if (incarnation) points.push(...this.look(cell, incarnation));
    }
    if (points.length > 0) this.init.publish({ at: this.init.clock.now(), intervalMs: 0, points });
  }

  private look(cell: ActorCell, incarnation: ActorIncarnation): TelemetryPoint[] {
    const idleMs = incarnation.loopIdleMs();
    const progress = incarnation.processedCount();
    if (idleMs === undefined || progress === undefined) return [];
    // OS time: the loop's idle time and the scheduler's times are the OS's.
    const at = performance.now();
    const last = this.watched.get(incarnation);
    if (!last) {
      this.watched.set(incarnation, { at, idleMs, progress, firstSeenAt: at, started: false, silence: undefined, hangTold: false, window: undefined, heap: [] });
      return [];
    }
    const idled = idleMs - last.idleMs;
    const busy = idled < (at - last.at) * (1 - BUSY_UTILIZATION);
    const alive = idled > 0 || countSince(progress, last.progress) > 0 || incarnation.storeWriteRunningMs(Date.now()) > 0;
    const previousAt = last.at;
    last.at = at;
    last.idleMs = idleMs;
    last.progress = progress;
    if (idled > 0 && at - last.firstSeenAt >= this.init.startupGraceMs) last.started = true;
    if (last.window && alive) last.window.turned = true;
    return [...this.hang(cell.id, incarnation, last, alive, previousAt), ...this.spinning(cell, incarnation, last, busy), ...this.growing(cell.id, incarnation, last)];
  }

  private hang(actorId: string, incarnation: ActorIncarnation, watched: Watched, alive: boolean, previousAt: number): TelemetryPoint[] {
    if (alive || !watched.started) {
      watched.silence = undefined;
      watched.hangTold = false;
      return [];
    }
    const sched = incarnation.schedStat();
    if (!sched) return [];
    if (!watched.silence) {
      // It was last seen alive at the previous look; its run time is counted from now, so the CPU
      // it spent between the two is not held against it.
      watched.silence = { since: previousAt, runMs: sched.runMs };
      return [];
    }
    const silentMs = watched.at - watched.silence.since;
    const ranMs = sched.runMs - watched.silence.runMs;
    if (watched.hangTold || silentMs < this.init.silenceMs || ranMs < this.init.hangCpuBudgetMs) return [];
    watched.hangTold = true;
    // Its CPU is the hang's, not a hog's: a spinning window under way is dropped.
    watched.window = undefined;
    return [{ metric: 'actor.unresponsive', source: actorId, value: 1 }];
  }

  private spinning(cell: ActorCell, incarnation: ActorIncarnation, watched: Watched, busy: boolean): TelemetryPoint[] {
    const actorId = cell.id;
    const window = watched.window;
    if (!window) {
      if (!busy || !watched.started) return [];
      const sched = incarnation.schedStat();
      if (sched) watched.window = { at: watched.at, sched, progress: watched.progress, turned: false };
      return [];
    }
    const spanMs = watched.at - window.at;
    // A thread silent now may be hanging inside the window: the window waits until it turns its
    // loop again (then it is published) or the hang is told (then it is dropped).
    if (spanMs < HOG_WINDOW_MS || watched.silence) return [];
    const sched = incarnation.schedStat();
    watched.window = busy && sched ? { at: watched.at, sched, progress: watched.progress, turned: false } : undefined;
    if (!sched || !window.turned) return [];
    const ranMs = Math.max(0, sched.runMs - window.sched.runMs);
    const waitedMs = Math.max(0, sched.waitMs - window.sched.waitMs);
    if (ranMs + waitedMs < spanMs * TOLD_CPU_DEMAND) return [];
    // Work done on input counts against the thread only as much as a thread spinning on its own:
    // none handled counts as one, as in the sampler.
    const inputs = Math.max(1, countSince(watched.progress, window.progress));
    return [
      { metric: 'actor.cpu_ratio', source: actorId, value: ranMs / spanMs },
      { metric: 'actor.cpu_demand', source: actorId, value: Math.min(1, (ranMs + waitedMs) / spanMs) },
      { metric: 'actor.cpu_burst_ms', source: actorId, value: cpuBurstMs(window.sched, sched) },
      { metric: 'actor.cpu_ms_per_input', source: actorId, value: ranMs / inputs },
      // A thread busy with a backlog is flooded, not spinning: with the depth beside them, the
      // mailbox rule (ranked before the CPU rule) names it.
      { metric: 'actor.mailbox_depth', source: actorId, value: cell.mailbox.depth },
    ];
  }

  /**
   * The retained heap's growth over the last HEAP_WINDOW_MS of the thread's own readings, told
   * with each new reading while it grows fast (a leak's growth read over a window it only partly
   * fills is told again as the window fills). The thread writes the readings itself.
   */
  private growing(actorId: string, incarnation: ActorIncarnation, watched: Watched): TelemetryPoint[] {
    if (!watched.started) return [];
    const reading = incarnation.retainedHeap();
    if (!reading) return [];
    const heap = watched.heap;
    const ageMs = (from: { atMs: number }) => (reading.atMs - from.atMs) | 0;
    if (heap.length > 0 && ageMs(heap[heap.length - 1]!) <= 0) return [];
    heap.push(reading);
    // Keep the newest reading at least a window old as the base, and the ones after it.
    while (heap.length > 2 && ageMs(heap[1]!) >= HEAP_WINDOW_MS) heap.shift();
    const base = heap[0]!;
    const spanMs = ageMs(base);
    if (spanMs < HEAP_WINDOW_MS) return [];
    const growthBps = ((reading.kib - base.kib) * 1024 * 1000) / spanMs;
    if (growthBps < TOLD_HEAP_GROWTH_BPS) return [];
    return [{ metric: 'actor.retained_heap_growth_bps', source: actorId, value: growthBps }];
  }
}
