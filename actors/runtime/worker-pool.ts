/**
 * Spare workers, pre-spawned so that a restart need not wait for a new isolate (~40 ms on
 * this class of machine) but takes a warm one (~5 ms). One small pool serves every actor,
 * because a spare is generic until `start` names its actor: a spare per actor would double
 * the node's thread count and memory for no faster restart.
 */
import { WarmWorker } from './warm-worker.js';

export class WorkerPool {
  private readonly spares: WarmWorker[] = [];
  private refilling = 0;
  private closed = false;

  constructor(private readonly size: number) {}

  /** Starts filling the pool in the background. */
  prime(): void {
    this.refill();
  }

  /** A warm worker if one is ready, else a freshly spawned one; the pool refills behind. */
  async take(): Promise<WarmWorker> {
    let warm = this.spares.shift();
    while (warm && !warm.isAlive) warm = this.spares.shift();
    this.refill();
    return warm ?? WarmWorker.spawn();
  }

  get ready(): number {
    return this.spares.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const spares = this.spares.splice(0);
    await Promise.all(spares.map((spare) => spare.terminate()));
  }

  private refill(): void {
    while (!this.closed && this.spares.length + this.refilling < this.size) {
      this.refilling++;
      WarmWorker.spawn()
        .then(
          (warm) => {
            if (this.closed) return warm.terminate();
            this.spares.push(warm);
          },
          // A spare that fails to start leaves the pool short; take() spawns directly then.
          () => undefined,
        )
        .finally(() => {
          this.refilling--;
        });
    }
  }
}
