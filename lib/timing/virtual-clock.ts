/**
 * A virtual Clock for deterministic runs and tests: time stands still until the caller advances it,
 * and then due timers fire in time order (timers due at the same instant fire in the order they were
 * set, like the event loop's). Nothing here waits on real time, so a run driven by it is as fast as
 * the CPU and gives the same result on a loaded machine as on an idle one.
 */
import type { Clock, TimerHandle } from './clock.js';

/**
 * Default wall-clock origin: 2030-01-01T00:00Z. A fixed instant (not the run's time) so that every
 * timestamp a virtual run produces is the same on every run; far enough ahead that nothing mistakes it
 * for the real time of a run today.
 */
export const VIRTUAL_EPOCH_MS = Date.UTC(2030, 0, 1);

/**
 * How many event-loop turns `advanceAsync` yields between timers. Async code driven by a timer often
 * chains a few awaits (a promise that resolves a promise, an I/O callback in between) before it sets
 * its next timer; a handful of turns lets such chains settle without real sleeping.
 */
export const DEFAULT_SETTLE_TURNS = 5;

interface VirtualTimer {
  id: number;
  /** Virtual monotonic ms at which it fires. */
  at: number;
  /** Scheduling order: the tie-break for timers due at the same instant. */
  seq: number;
  callback: () => void;
}

export interface VirtualClockOptions {
  /** Wall time (epoch ms) at virtual monotonic 0. */
  epochMs?: number;
  /** Event-loop turns `advanceAsync` yields before and after each timer it fires. */
  settleTurns?: number;
}

export class VirtualClock implements Clock {
  private elapsed = 0;
  private nextId = 1;
  private nextSeq = 0;
  private readonly timers = new Map<number, VirtualTimer>();
  private readonly epochMs: number;
  private readonly settleTurns: number;

  constructor(options: VirtualClockOptions = {}) {
    this.epochMs = options.epochMs ?? VIRTUAL_EPOCH_MS;
    this.settleTurns = options.settleTurns ?? DEFAULT_SETTLE_TURNS;
  }

  now(): number {
    return this.epochMs + this.elapsed;
  }

  monotonicNow(): number {
    return this.elapsed;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    // Like the event loop: a negative, NaN or missing delay means "as soon as possible".
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: VirtualTimer = { id: this.nextId++, at: this.elapsed + delay, seq: this.nextSeq++, callback };
    this.timers.set(timer.id, timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Timers set and neither fired nor cleared. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Virtual monotonic time of the next timer, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    return this.nextDue(Number.POSITIVE_INFINITY)?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in time order, each
   * with the clock showing its own due time; timers set by those callbacks fire too if they fall
   * within the window. Synchronous: promise continuations run only after it returns (use
   * `advanceAsync` for code that awaits between timers).
   */
  advance(ms: number): void {
    const target = this.targetOf(ms);
    for (let timer = this.nextDue(target); timer; timer = this.nextDue(target)) this.fire(timer);
    this.elapsed = target;
  }

  /**
   * Like `advance`, but yields to the event loop before and after each timer, so promise
   * continuations (and I/O callbacks already queued) run between timers: async code driven by
   * timers (a restart awaiting its backoff, then awaiting the new incarnation's start) progresses
   * as it would in real time, minus the waiting.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.targetOf(ms);
    await this.settle();
    for (let timer = this.nextDue(target); timer; timer = this.nextDue(target)) {
      this.fire(timer);
      await this.settle();
    }
    this.elapsed = target;
    await this.settle();
  }

  /** Lets pending promise continuations and already queued callbacks run, without moving time. */
  async settle(): Promise<void> {
    for (let turn = 0; turn < this.settleTurns; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private targetOf(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`VirtualClock: cannot advance by ${ms} ms`);
    return this.elapsed + ms;
  }

  private fire(timer: VirtualTimer): void {
    this.timers.delete(timer.id);
    this.elapsed = Math.max(this.elapsed, timer.at);
    timer.callback();
  }

  private nextDue(limit: number): VirtualTimer | undefined {
    let first: VirtualTimer | undefined;
    for (const timer of this.timers.values()) {
      if (timer.at > limit) continue;
      if (!first || timer.at < first.at || (timer.at === first.at && timer.seq < first.seq)) first = timer;
    }
    return first;
  }
}
