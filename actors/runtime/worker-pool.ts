/**
 * Spare workers, pre-spawned so that a restart need not wait for a new isolate to load the
 * runtime (~100 ms here under load) but takes a warm one. One small pool serves every actor,
 * because a spare is generic until `start` names its actor: a spare per actor would double the
 * node's thread count and memory for no faster restart.
 */
import { WarmWorker } from './warm-worker.js';
import type { PrepareWorker } from './worker-control.js';

export class WorkerPool {
  /** Spares in spawn order, ready or still loading: taking one that is loading beats spawning another. */
  private readonly spares: Array<Promise<WarmWorker | undefined>> = [];
  private closed = false;

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
   * Spawns `count` more spares now, beyond the pool's size, because that many starts are about
   * to come (a one_for_all or rest_for_one group restarting): they load in parallel instead of
   * one after another.
   */
  prewarm(count: number): void {
    for (let i = 0; i < count && !this.closed; i++) this.spares.push(this.spawnSpare());
  }

  /** The oldest spare (waiting for it if it is still loading), or a freshly spawned worker. */
  async take(): Promise<WarmWorker> {
    const next = this.spares.shift();
    this.refill();
    const warm = next ? await next : undefined;
    return warm?.isAlive ? warm : WarmWorker.spawn();
  }

  async close(): Promise<void> {
    this.closed = true;
    const spares = await Promise.all(this.spares.splice(0));
    await Promise.all(spares.map((spare) => spare?.terminate()));
  }

  private refill(): void {
    while (!this.closed && this.spares.length < this.size) this.spares.push(this.spawnSpare());
  }

  private spawnSpare(): Promise<WarmWorker | undefined> {
    return WarmWorker.spawn().then(
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
