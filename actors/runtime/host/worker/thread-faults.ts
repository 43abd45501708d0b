/**
 * Degrading faults injected into an actor's worker thread (chaos): they live in the thread, so
 * only replacing the thread ends them, as with the real faults they imitate (a runaway loop, a
 * leak, a wedged file handle). Each is bounded so a forgotten injection cannot take the machine
 * down: the hog and the leak stop after FAULT_MAX_DURATION_MS.
 *
 * OS time and timers, not the node's Clock: these faults are real load on a real thread (busy
 * CPU, retained memory, slow I/O) and are measured by it in real time. The leak's fill value is
 * Math.random only so the memory is not a constant V8 could share; no run depends on it.
 */
/** Of every HOG_PERIOD_MS, the hog keeps the thread busy HOG_BUSY_MS: 90% busy, yet pings still get through. */
const HOG_PERIOD_MS = 50;
const HOG_BUSY_MS = 45;
/** Leak rate: 64 MiB/s, four times the detection rule's 16 MiB/s, kept in real time (see startMemoryLeak). */
const LEAK_PERIOD_MS = 50;
const LEAK_DOUBLES_PER_MS = (64 * 1024 * 1024) / 8 / 1000;
/** One allocation of the leak: 1 MiB of doubles. */
const LEAK_PIECE_DOUBLES = (1024 * 1024) / 8;
/** One tick holds at most this long's worth: a thread starved for longer leaks less, never one huge array. */
const LEAK_MAX_CATCH_UP_MS = 1_000;
/** The delay added to each store write: far above a healthy write's few ms. */
export const SLOW_STORE_DELAY_MS = 300;
/** A fault injected and never remedied ends by itself after this long. */
const FAULT_MAX_DURATION_MS = 120_000;

export class ThreadFaults {
  private timers: ReturnType<typeof setInterval>[] = [];
  private leaked: number[][] = [];
  private storeDelayMs = 0;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  startCpuHog(): void {
    this.repeat(HOG_PERIOD_MS, () => busyFor(HOG_BUSY_MS));
  }

  /**
   * Each tick retains what the time since the last one is worth: a timer does not catch up on the
   * ticks a thread starved of a core missed, and a leak that slowed down whenever the machine was
   * busy would look cured to a verification that happened to read a starved window.
   */
  startMemoryLeak(): void {
    let last = performance.now();
    this.repeat(LEAK_PERIOD_MS, () => {
      const now = performance.now();
      const ms = Math.min(now - last, LEAK_MAX_CATCH_UP_MS);
      last = now;
      // Arrays of doubles this large go straight to V8's large-object space and are retained. A
      // starved tick's catch-up is made of pieces: near the thread's heap bound V8 grants a few
      // MiB more to end the thread cleanly, and a single larger allocation would end the process.
      for (let left = Math.floor(ms * LEAK_DOUBLES_PER_MS); left > 0; left -= LEAK_PIECE_DOUBLES) {
        this.leaked.push(new Array<number>(Math.min(left, LEAK_PIECE_DOUBLES)).fill(Math.random()));
      }
    });
  }

  slowStore(): void {
    this.storeDelayMs = SLOW_STORE_DELAY_MS;
  }

  /** Blocks the thread for the injected store delay, as a stalled write would. */
  beforeStoreWrite(): void {
    if (this.storeDelayMs > 0) Atomics.wait(this.sleeper, 0, 0, this.storeDelayMs);
  }

  clear(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.leaked = [];
    this.storeDelayMs = 0;
  }

  private repeat(periodMs: number, tick: () => void): void {
    const timer = setInterval(tick, periodMs);
    this.timers.push(timer);
    setTimeout(() => {
      clearInterval(timer);
      this.leaked = [];
    }, FAULT_MAX_DURATION_MS).unref();
  }
}

export function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Burning CPU is the point.
  }
}
