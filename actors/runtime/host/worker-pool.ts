/**
 * Spare workers, pre-spawned so that a restart need not wait for a new isolate to load the
 * runtime (55–90 ms on this 2-core machine) but takes a warm one. One small pool serves every actor,
 * because a spare is generic until `start` names its actor: a spare per actor would double the
 * node's thread count and memory for no faster restart. Threads whose actors stopped cleanly come
 * back here (`recycle`), so a group restart reuses its siblings' threads.
 */
import { SpareWorker } from './spare-worker.js';
import type { PrepareWorker } from './worker/worker-control.js';

/**
 * A recycled thread that no restart takes within this time is let go: restarts of a group follow their stops at once.
 * OS time, not the node's Clock: it bounds how long a real idle thread holds memory.
 */
const RECYCLED_IDLE_MS = 2_000;

export class WorkerPool {
  /** Spares in spawn order, ready or still loading: taking one that is loading beats spawning another. */
  private readonly spares: Array<Promise<SpareWorker | undefined>> = [];
  private closed = false;
  private trimTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly size: number,
    /** What every spare readies itself for (the node's store and actor modules). */
    private readonly preparation?: PrepareWorker,
  ) {}

  /** Starts filling the pool in the background. */
  prime(): void {
    this.refill();
  }

  /**
   * Takes back a thread whose actor stopped cleanly (machine stopped, store connection kept), ahead of the
   * spares: it is warm already. A thread that crashed or hung is never taken back. What goes
   * beyond the pool's size is let go once no restart has wanted it for a while.
   */
  recycle(warm: SpareWorker): void {
    if (this.closed || !warm.isAlive) {
      void warm.terminate();
      return;
    }
    warm.label = '(spare)';
    this.spares.unshift(Promise.resolve(warm));
    this.trimTimer ??= setTimeout(() => {
      this.trimTimer = undefined;
      void this.trim();
    }, RECYCLED_IDLE_MS);
    this.trimTimer.unref();
  }

  /** The oldest spare (waiting for it if it is still loading), or a freshly spawned worker. */
  async take(): Promise<SpareWorker> {
    const next = this.spares.shift();
    this.refill();
    const warm = next ? await next : undefined;
    return warm?.isAlive ? warm : SpareWorker.spawn();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.trimTimer);
    const spares = await Promise.all(this.spares.splice(0));
    await Promise.all(spares.map((spare) => spare?.terminate()));
  }

  /** Lets go of spares beyond the pool's size (recycled threads no restart took). */
  private async trim(): Promise<void> {
    const surplus = this.spares.splice(this.size);
    for (const spare of surplus) void spare.then((warm) => warm?.terminate());
  }

  private refill(): void {
    while (!this.closed && this.spares.length < this.size) this.spares.push(this.spawnSpare());
  }

  private spawnSpare(): Promise<SpareWorker | undefined> {
    return SpareWorker.spawn().then(
      async (warm) => {
        const preparation = this.preparation;
        if (!this.closed && preparation) await warm.call(() => warm.control.prepare(preparation));
        if (!this.closed) return warm;
        await warm.terminate();
        return undefined;
      },
      // A spare that fails to start leaves the pool short; take() spawns directly then.
      () => undefined,
    );
  }
}
