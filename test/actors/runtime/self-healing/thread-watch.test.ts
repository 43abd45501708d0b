/**
 * The thread watch tells a hung thread and a spinning one between samples, from what it reads
 * without asking the thread: the loop's idle time, the processed count, the scheduler's times.
 * The thread here is a fake whose readings the test moves look by look, on faked OS time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HEAP_WINDOW_MS, HOG_WINDOW_MS, THREAD_WATCH_EVERY_MS, ThreadWatch } from '../../../../actors/runtime/self-healing/thread-watch.js';
import type { ActorCell } from '../../../../actors/runtime/supervision/actor-cell.js';
import type { ActorIncarnation } from '../../../../actors/runtime/contracts/host.js';
import type { TelemetrySample } from '../../../../lib/mape/telemetry.js';
import { realClock } from '../../../../lib/timing/clock.js';

afterEach(() => {
  vi.useRealTimers();
});

const SILENCE_MS = 250;
const HANG_CPU_BUDGET_MS = 100;
/** Two looks: the fake thread is past start-up at its second idle look. */
const STARTUP_GRACE_MS = 2 * THREAD_WATCH_EVERY_MS;

/** What the fake thread shows at each look; each look is THREAD_WATCH_EVERY_MS of OS time after the last. */
interface Step {
  /** Idle time the loop gains in this step. */
  idle: number;
  /** CPU time it runs. */
  ran: number;
  /** Inputs it handles. */
  handled: number;
  /** Times it gives its core back of its own accord. */
  yields: number;
  /** Time it waits for a core (0 unless given). */
  waited?: number;
  /** KiB its retained heap grows by (0 unless given); the thread writes its heap down at every step. */
  retainedKib?: number;
  writing?: boolean;
}

/** `heapEveryLooks`: the thread writes its heap down every so many looks (every second one, as 100 ms against 50). */
function watchOver(heapEveryLooks = 1) {
  const thread = { idleMs: 0, runMs: 0, waitMs: 0, processed: 0, yields: 0, writing: false, heap: { kib: 10_000, atMs: heapEveryLooks > 1 ? 2 ** 31 - 301 : 1 } };
  const incarnation = {
    loopIdleMs: () => thread.idleMs,
    processedCount: () => thread.processed,
    schedStat: () => ({ runMs: thread.runMs, waitMs: thread.waitMs, runnable: true, yields: thread.yields }),
    storeWriteRunningMs: () => (thread.writing ? 400 : 0),
    retainedHeap: () => ({ ...thread.heap }),
  } as unknown as ActorIncarnation;
  const cell = { id: 'watched', state: 'running', current: incarnation, mailbox: { depth: 7 } } as unknown as ActorCell;
  const published: TelemetrySample[] = [];
  const watch = new ThreadWatch({
    clock: realClock,
    cells: () => [cell],
    publish: (sample) => published.push(sample),
    failed: (error) => {
      throw error;
    },
    silenceMs: SILENCE_MS,
    hangCpuBudgetMs: HANG_CPU_BUDGET_MS,
    startupGraceMs: STARTUP_GRACE_MS,
  });
  vi.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'performance'] });
  watch.check();
  let looks = 0;
  let unwrittenKib = 0;
  const run = (steps: number, step: Step) => {
    for (let i = 0; i < steps; i++) {
      looks++;
      vi.advanceTimersByTime(THREAD_WATCH_EVERY_MS);
      thread.idleMs += step.idle;
      thread.runMs += step.ran;
      thread.waitMs += step.waited ?? 0;
      unwrittenKib += step.retainedKib ?? 0;
      if (looks % heapEveryLooks === 0) {
        thread.heap = { kib: thread.heap.kib + unwrittenKib, atMs: (thread.heap.atMs + THREAD_WATCH_EVERY_MS * heapEveryLooks) | 0 };
        unwrittenKib = 0;
      }
      thread.processed = (thread.processed + step.handled) | 0;
      thread.yields += step.yields;
      thread.writing = step.writing ?? false;
      watch.check();
    }
  };
  const told = (metric: string) => published.flatMap((sample) => sample.points.filter((point) => point.metric === metric));
  return { run, told, published };
}

const IDLE: Step = { idle: 50, ran: 0, handled: 0, yields: 1 };
/** A loop that never turns, on a core all the time. */
const SPINNING_IN_PLACE: Step = { idle: 0, ran: 50, handled: 0, yields: 0 };
/** The chaos hog: 45 ms of every 50 busy, the loop turning in the other 5. */
const HOG: Step = { idle: 5, ran: 45, handled: 3, yields: 1 };

describe('the thread watch: hangs', () => {
  it('tells a loop that stopped turning once it has been silent for the probe timeout and ran the CPU budget, once per silence', () => {
    const { run, told } = watchOver();
    run(2, IDLE);
    // The look after the hang starts marks the silence; the budget and the timeout count from the look before.
    run(4, SPINNING_IN_PLACE);
    expect(told('actor.unresponsive')).toEqual([]);
    run(1, SPINNING_IN_PLACE);
    expect(told('actor.unresponsive')).toEqual([{ metric: 'actor.unresponsive', source: 'watched', value: 1 }]);
    run(10, SPINNING_IN_PLACE);
    expect(told('actor.unresponsive')).toHaveLength(1);
    // It turns its loop again, then hangs again: a new silence, told again.
    run(1, IDLE);
    run(6, SPINNING_IN_PLACE);
    expect(told('actor.unresponsive')).toHaveLength(2);
  });

  it('does not call a thread hung that waits for a core, is in a store write, or has not started yet', () => {
    const waiting = watchOver();
    waiting.run(2, IDLE);
    waiting.run(40, { idle: 0, ran: 1, waited: 49, handled: 0, yields: 0 });
    expect(waiting.told('actor.unresponsive')).toEqual([]);

    const writing = watchOver();
    writing.run(2, IDLE);
    writing.run(40, { ...SPINNING_IN_PLACE, writing: true });
    expect(writing.told('actor.unresponsive')).toEqual([]);

    // Loading modules: never idle yet.
    const starting = watchOver();
    starting.run(40, SPINNING_IN_PLACE);
    expect(starting.told('actor.unresponsive')).toEqual([]);

    // Idle once within the start-up grace, then busy restoring its state: still starting.
    const restoring = watchOver();
    restoring.run(1, IDLE);
    restoring.run(40, SPINNING_IN_PLACE);
    expect(restoring.told('actor.unresponsive')).toEqual([]);
    expect(restoring.published).toEqual([]);
  });

  it('does not call a thread hung that processes input without going idle (a backlog)', () => {
    const { run, told } = watchOver();
    run(2, IDLE);
    run(40, { idle: 0, ran: 50, handled: 100, yields: 0 });
    expect(told('actor.unresponsive')).toEqual([]);
  });
});

describe('the thread watch: spinning threads', () => {
  it("publishes a busy window's CPU share, CPU per yield and CPU per input for the rules to judge", () => {
    const { run, told, published } = watchOver();
    run(2, IDLE);
    // The first busy look opens the window; it closes HOG_WINDOW_MS later.
    run(1 + HOG_WINDOW_MS / THREAD_WATCH_EVERY_MS, HOG);
    expect(published).toHaveLength(1);
    expect(published[0]!.intervalMs).toBe(0);
    expect(told('actor.cpu_ratio')).toEqual([{ metric: 'actor.cpu_ratio', source: 'watched', value: 45 / 50 }]);
    expect(told('actor.cpu_demand')).toEqual([{ metric: 'actor.cpu_demand', source: 'watched', value: 45 / 50 }]);
    expect(told('actor.cpu_burst_ms')).toEqual([{ metric: 'actor.cpu_burst_ms', source: 'watched', value: 45 }]);
    expect(told('actor.cpu_ms_per_input')).toEqual([{ metric: 'actor.cpu_ms_per_input', source: 'watched', value: 15 }]);
    // The depth beside them, so that a flood is named by the mailbox rule, not the CPU rule.
    expect(told('actor.mailbox_depth')).toEqual([{ metric: 'actor.mailbox_depth', source: 'watched', value: 7 }]);
    // Still spinning: the next window follows on.
    run(HOG_WINDOW_MS / THREAD_WATCH_EVERY_MS, HOG);
    expect(told('actor.cpu_ratio')).toHaveLength(2);
  });

  it('publishes a runaway loop on a loaded machine: it gets a third of a core, but wants one all the time', () => {
    const { run, told } = watchOver();
    run(2, IDLE);
    run(1 + HOG_WINDOW_MS / THREAD_WATCH_EVERY_MS, { idle: 5, ran: 15, waited: 30, handled: 3, yields: 1 });
    expect(told('actor.cpu_ratio')).toEqual([{ metric: 'actor.cpu_ratio', source: 'watched', value: 15 / 50 }]);
    expect(told('actor.cpu_burst_ms')).toEqual([{ metric: 'actor.cpu_burst_ms', source: 'watched', value: 15 }]);
  });

  it('publishes nothing for a thread that wanted a core less than half the window, and no CPU readings for a loop that never turned (a hang)', () => {
    const light = watchOver();
    light.run(2, IDLE);
    light.run(20, { idle: 20, ran: 20, handled: 0, yields: 4 });
    expect(light.published).toEqual([]);

    const hung = watchOver();
    hung.run(2, IDLE);
    hung.run(20, SPINNING_IN_PLACE);
    expect(hung.told('actor.cpu_ratio')).toEqual([]);
    expect(hung.told('actor.unresponsive')).toHaveLength(1);
  });

  it('tells a hang that starts inside a spinning window as a hang, and drops the window', () => {
    const { run, told } = watchOver();
    run(2, IDLE);
    // The hog opens a window and turns its loop in it; then its loop stops turning.
    run(2, HOG);
    run(20, SPINNING_IN_PLACE);
    expect(told('actor.unresponsive')).toHaveLength(1);
    expect(told('actor.cpu_ratio')).toEqual([]);
  });
});

describe('the thread watch: leaks', () => {
  /** The chaos leak's rate: 64 MiB/s, 3,200 KiB per 50 ms step. */
  const LEAKING: Step = { ...IDLE, retainedKib: (64 * 1024 * 50) / 1000 };

  it('tells the retained heap growing over the last heap window, with each new reading while it grows', () => {
    const { run, told } = watchOver();
    run(2, IDLE);
    run(HEAP_WINDOW_MS / THREAD_WATCH_EVERY_MS, IDLE);
    expect(told('actor.retained_heap_growth_bps')).toEqual([]);
    // Two steps of leak in a window: a third of it, already past the seeded rule's 16 MiB/s.
    run(2, LEAKING);
    const growth = told('actor.retained_heap_growth_bps');
    expect(growth.length).toBeGreaterThan(0);
    expect(growth.at(-1)!.value).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    run(HEAP_WINDOW_MS / THREAD_WATCH_EVERY_MS, LEAKING);
    expect(told('actor.retained_heap_growth_bps').at(-1)!.value).toBeCloseTo(64 * 1024 * 1024, -3);
  });

  it('tells it the same when the thread writes its heap down every other look, across its stamp wrapping past 2^31 ms', () => {
    const { run, told } = watchOver(2);
    run(2, IDLE);
    run(HEAP_WINDOW_MS / THREAD_WATCH_EVERY_MS, IDLE);
    run(4, LEAKING);
    expect(told('actor.retained_heap_growth_bps').at(-1)!.value).toBeGreaterThanOrEqual(16 * 1024 * 1024);
  });

  it('does not tell a working set settling (one promotion of a MiB) nor a thread still starting', () => {
    const settling = watchOver();
    settling.run(2 + HEAP_WINDOW_MS / THREAD_WATCH_EVERY_MS, IDLE);
    settling.run(1, { ...IDLE, retainedKib: 1024 });
    settling.run(20, IDLE);
    expect(settling.told('actor.retained_heap_growth_bps')).toEqual([]);

    const starting = watchOver();
    starting.run(20, { ...SPINNING_IN_PLACE, retainedKib: 3_200 });
    expect(starting.told('actor.retained_heap_growth_bps')).toEqual([]);
  });
});
