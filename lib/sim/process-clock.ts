/**
 * One simulated process's view of the simulation's time (a Clock, so the node's own code runs on it
 * unchanged), and what the simulator can do to that process: freeze it (SIGSTOP: its timers and the
 * bytes sent to it wait; they run, late and in order, when it resumes) and end it (kill -9: nothing
 * it scheduled ever runs).
 */
import type { Clock, TimerHandle } from '../timing/clock.js';
import type { SimEvent, SimScheduler } from './sim-scheduler.js';

interface ProcessTimer {
  event: SimEvent | undefined;
  callback: (() => void) | undefined;
}

export class ProcessClock implements Clock {
  private frozenSince: number | undefined;
  private ended = false;
  /** What fell due while frozen, in the order it fell due. */
  private readonly held: (() => void)[] = [];

  constructor(private readonly scheduler: SimScheduler) {}

  /** Whole epoch ms, as Date.now gives (stored and signed timestamps are integers). */
  now(): number {
    return this.scheduler.epochMs + Math.floor(this.scheduler.now);
  }

  monotonicNow(): number {
    return this.scheduler.now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer: ProcessTimer = { event: undefined, callback };
    if (this.ended) return timer;
    // The callback is read when it runs, not when it falls due: a timer that fell due while frozen
    // and was cleared before the resume (by held work that ran first) does not fire.
    timer.event = this.scheduler.schedule(ms, () =>
      this.deliver(() => {
        const run = timer.callback;
        timer.callback = undefined;
        run?.();
      }),
    );
    return timer;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    const timer = handle as ProcessTimer | undefined;
    if (!timer || typeof timer !== 'object') return;
    timer.callback = undefined;
    this.scheduler.cancel(timer.event);
  }

  /** Runs `work` in this process now, or when it resumes if frozen; never once it has ended. Bytes arriving from the network come in this way. */
  deliver(work: () => void): void {
    if (this.ended) return;
    if (this.frozenSince !== undefined) this.held.push(work);
    else work();
  }

  get frozen(): boolean {
    return this.frozenSince !== undefined;
  }

  get alive(): boolean {
    return !this.ended;
  }

  freeze(): void {
    if (!this.ended) this.frozenSince ??= this.scheduler.now;
  }

  /** SIGCONT: what fell due meanwhile runs now, in order, each in an instant's turn of its own. */
  resume(): void {
    if (this.frozenSince === undefined || this.ended) return;
    this.frozenSince = undefined;
    const held = this.held.splice(0);
    for (const work of held) this.scheduler.schedule(0, () => this.deliver(work));
  }

  /** kill -9: nothing scheduled by or for this process runs again. */
  end(): void {
    this.ended = true;
    this.frozenSince = undefined;
    this.held.length = 0;
  }
}
