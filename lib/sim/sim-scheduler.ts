/**
 * The deterministic simulation's one source of time: a queue of events in simulated time, run in
 * order, each instant's events in the order they were scheduled. Between instants it yields to the
 * event loop once, so the promise continuations the instant's events started (a record verified,
 * a probe answered) run to the end before time moves on. Nothing waits on real time and nothing
 * else is scheduled through the event loop, so the same inputs give the same execution, however
 * loaded the machine is.
 *
 * Times are simulated monotonic ms, kept on a grid of TIME_GRID_MS: a network's jittered latencies
 * would otherwise make nearly every event an instant of its own, each paying for a yield.
 */
import { VIRTUAL_EPOCH_MS } from '../timing/virtual-clock.js';

/** The resolution of simulated time: a tenth of a millisecond, far below any delay the mesh measures. */
export const TIME_GRID_MS = 0.1;
/** Grid steps per ms: times are made by dividing by it (k / 10 is the double nearest k tenths; k * 0.1 often is not). */
const STEPS_PER_MS = 10;

export interface SimEvent {
  readonly at: number;
  readonly seq: number;
  run: (() => void) | undefined;
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** `ms` on the grid, never earlier than it: a delay is never cut short by the rounding. */
export function onGrid(ms: number): number {
  // Rounded first at a millionth of a step, so float noise (0.1 + 0.2) does not push a time a whole step on.
  return Math.ceil(Math.round(ms * STEPS_PER_MS * 1e6) / 1e6) / STEPS_PER_MS;
}

export class SimScheduler {
  private readonly heap: SimEvent[] = [];
  private time = 0;
  private nextSeq = 0;
  private executed = 0;

  /** Wall time (epoch ms) at simulated time 0: fixed, so that every timestamp of a run is the same on every run. */
  constructor(readonly epochMs: number = VIRTUAL_EPOCH_MS) {}

  /** Simulated monotonic ms. */
  get now(): number {
    return this.time;
  }

  /** Events run so far. */
  get eventsRun(): number {
    return this.executed;
  }

  /** Events scheduled and not run or cancelled yet (cancelled ones still in the queue count until they surface). */
  get pending(): number {
    return this.heap.length;
  }

  /** Runs `run` `delayMs` from now (a negative or non-finite delay: this instant). */
  schedule(delayMs: number, run: () => void): SimEvent {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const event: SimEvent = { at: onGrid(this.time + delay), seq: this.nextSeq++, run };
    this.push(event);
    return event;
  }

  cancel(event: SimEvent | undefined): void {
    if (event) event.run = undefined;
  }

  /**
   * Runs every event due up to `untilMs` (simulated), instant by instant, and leaves the clock
   * there. `afterInstant` is called once each instant has settled (its events run, their promise
   * continuations done); returning true stops the run at that instant.
   */
  async runUntil(untilMs: number, afterInstant?: (now: number) => boolean | void): Promise<void> {
    if (!(untilMs >= this.time)) throw new RangeError(`cannot run back to ${untilMs} ms from ${this.time} ms`);
    while (this.heap.length > 0 && this.heap[0]!.at <= untilMs) {
      const instant = this.heap[0]!.at;
      this.time = instant;
      while (this.heap.length > 0 && this.heap[0]!.at === instant) {
        const event = this.pop();
        const run = event.run;
        if (run === undefined) continue;
        event.run = undefined;
        this.executed++;
        run();
      }
      // Every continuation of this instant's events runs before time moves on.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (afterInstant?.(instant) === true) return;
    }
    this.time = untilMs;
  }

  private push(event: SimEvent): void {
    const heap = this.heap;
    heap.push(event);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(event, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = event;
  }

  private pop(): SimEvent {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[index] = heap[child]!;
        index = child;
      }
      heap[index] = last;
    }
    return top;
  }
}
