/**
 * A snapshot write running past the slow-store rule's threshold, told the moment it does rather
 * than at the next sample. Every WATCH_EVERY_MS the main thread reads each actor thread's write
 * stamp (shared memory, thread-signals.ts: no question to the thread, which is blocked in that very
 * write) and publishes the write's running time, once per write, as a window of its own
 * (intervalMs 0, as a repeat crash). The reads are a few atomic loads per actor.
 */
import type { ActorCell } from '../supervision/actor-cell.js';
import type { ActorIncarnation } from '../contracts/host.js';
import type { Clock } from '../contracts/clock.js';
import type { TelemetryPoint, TelemetrySample } from '../../../lib/mape/telemetry.js';
import type { RepeatingTimer } from '../../../lib/timing/repeat-every.js';
import { lookEvery } from './look-every.js';

/** The seeded 'slow-writes' rule's threshold (migration 3): a write this long stalls its actor visibly. */
export const SLOW_WRITE_MS = 150;
/** A slow write is told at most this long after it became one. */
export const WATCH_EVERY_MS = 50;

export interface SlowWriteWatchInit {
  clock: Clock;
  cells(): ActorCell[];
  publish(sample: TelemetrySample): void;
  /** A look that failed (a fault of this code): reported, and the next look tries again. */
  failed(error: unknown): void;
}

export class SlowWriteWatch {
  private timer: RepeatingTimer | undefined;
  /** Per incarnation, the start stamp of the write told last: each write is told once. */
  private readonly told = new WeakMap<ActorIncarnation, number>();

  constructor(private readonly init: SlowWriteWatchInit) {}

  start(): void {
    this.timer ??= lookEvery(this.init.clock, WATCH_EVERY_MS, () => this.check(), (error) => this.init.failed(error));
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One look at every running actor (the timer calls it; tests may too). */
  check(): void {
    // OS time: the thread stamps its write's start with its own wall clock.
    const now = Date.now();
    const points: TelemetryPoint[] = [];
    for (const cell of this.init.cells()) {
      const incarnation = cell.state === 'running' ? cell.current : undefined;
      if (!incarnation) continue;
      const runningMs = incarnation.storeWriteRunningMs(now);
      if (runningMs < SLOW_WRITE_MS) continue;
      const startedAt = now - runningMs;
      if (this.told.get(incarnation) === startedAt) continue;
      this.told.set(incarnation, startedAt);
      points.push({ metric: 'actor.store_write_ms', source: cell.id, value: runningMs });
    }
    if (points.length > 0) this.init.publish({ at: this.init.clock.now(), intervalMs: 0, points });
  }
}
