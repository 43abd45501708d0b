/**
 * Worker threads readied ahead of the launches that take them, of two kinds:
 *
 * - Threads prepared for the tree's launches: as the node prepares to start, one per worker
 *   actor, all spawned at once. Each loads the runtime and imports its own actor's module (and no
 *   other) while the tree starts its children one after another: a child's start then finds its
 *   thread loaded, or loading, instead of spawning one after its elder siblings have started.
 *   They leave the store to the start: they may be spawned before the node has created it.
 * - Spares, for restarts: the runtime loaded, the store open, the state-machine library warmed up,
 *   and no actor module until an actor has been restarted: from then on, that actor's module (see
 *   `started`). A spare cannot know whom it will serve, and every actor module imported into every
 *   spare would cost every spare their memory (and a module stuck at its top level would stall
 *   every spare, whichever actor it then served). The start imports the actor's module when the
 *   spare has not. Spares are spawned once the prepared threads are taken, so that they do not
 *   slow the tree's start.
 *
 * One small pool of spares serves every actor: a spare per actor would double the node's thread
 * count and memory for no faster restart. Threads whose actors stopped cleanly come back as spares
 * (`recycle`), so a group restart reuses its siblings' threads.
 *
 * A thread is handed out once its runtime is loaded; what it was asked to prepare may still be
 * loading. The start sent next queues behind it in the thread and is answered when what it needs
 * is there, under the start's liveness deadline (worker-host.ts), so a module that never finishes
 * loading fails its own start and holds up nothing else.
 */
import { SpareWorker } from './spare-worker.js';
import type { PrepareWorker } from './worker/worker-control.js';

/**
 * A recycled thread that no restart takes within this time is let go: restarts of a group follow their stops at once.
 * OS time, not the node's Clock: it bounds how long a real idle thread holds memory.
 */
const RECYCLED_IDLE_MS = 2_000;

type Ready = Promise<SpareWorker | undefined>;

export class WorkerPool {
  /** Spares in spawn order, ready or still loading: taking one that is loading beats spawning another. */
  private readonly spares: Ready[] = [];
  /** Threads prepared for launches to come, by actor module, in launch order. */
  private readonly prepared = new Map<string, Ready[]>();
  /** Threads handed out for a launch they were not prepared for (a restart), until its start succeeds. */
  private readonly restartThreads = new WeakSet<SpareWorker>();
  /** The module of the last actor restarted on such a thread: what spares import ahead. */
  private restartModule: string | undefined;
  private closed = false;
  private trimTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly size: number,
    /** The node's store, which spares open ahead of their start; none: the start opens it. */
    private readonly databasePath?: string,
  ) {}

  /**
   * Spawns a thread for each launch to come (their actor modules, in start order), all at once:
   * the threads load in parallel while the launches are made one by one. The spares follow once
   * these are taken.
   */
  prepareLaunches(modules: readonly string[]): void {
    if (modules.length === 0) this.refill();
    for (const module of modules) {
      const queue = this.prepared.get(module) ?? [];
      queue.push(this.spawnPrepared({ module, warmUp: false }));
      this.prepared.set(module, queue);
    }
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
      this.trim();
    }, RECYCLED_IDLE_MS);
    this.trimTimer.unref();
  }

  /**
   * A thread for an actor of this module: the one prepared for it, else the oldest spare (waiting
   * for it if its runtime is still loading), else a freshly spawned one.
   */
  async take(module: string): Promise<SpareWorker> {
    const prepared = this.takePrepared(module);
    const next = prepared ?? this.takeSpare();
    const taken = next ? await next : undefined;
    const warm = taken?.isAlive ? taken : await SpareWorker.spawn();
    if (!prepared) this.restartThreads.add(warm);
    return warm;
  }

  /**
   * The actor's start on this thread succeeded. When the thread was not prepared for it (a
   * restart), the spares import its module from now on, ahead: an actor that crashed tends to
   * crash again, and its next restart then imports nothing. Only a module that has loaded once is
   * imported ahead: one stuck at its top level never gets here.
   */
  started(warm: SpareWorker, module: string): void {
    if (!this.restartThreads.delete(warm) || this.restartModule === module) return;
    this.restartModule = module;
    for (const spare of this.spares) {
      void spare.then((ready) => ready?.call(() => ready.control.prepare({ module, warmUp: false })).catch(() => undefined));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.trimTimer);
    const waiting = [...this.spares.splice(0), ...[...this.prepared.values()].flat()];
    this.prepared.clear();
    const threads = await Promise.all(waiting);
    await Promise.all(threads.map((thread) => thread?.terminate()));
  }

  private takePrepared(module: string): Ready | undefined {
    const queue = this.prepared.get(module);
    const next = queue?.shift();
    if (queue?.length === 0) this.prepared.delete(module);
    if (next && this.prepared.size === 0) this.refill();
    return next;
  }

  private takeSpare(): Ready | undefined {
    const next = this.spares.shift();
    this.refill();
    return next;
  }

  /** Lets go of spares beyond the pool's size (recycled threads no restart took). */
  private trim(): void {
    const surplus = this.spares.splice(this.size);
    for (const spare of surplus) void spare.then((warm) => warm?.terminate());
  }

  private refill(): void {
    const databasePath = this.databasePath;
    const module = this.restartModule;
    const preparation: PrepareWorker = { warmUp: true, ...(databasePath !== undefined ? { databasePath } : {}), ...(module !== undefined ? { module } : {}) };
    while (!this.closed && this.spares.length < this.size) this.spares.push(this.spawnPrepared(preparation));
  }

  /** Spawns a thread with what to prepare; ready once its runtime answers (the preparation may go on: the start queues behind it). */
  private spawnPrepared(preparation: PrepareWorker): Ready {
    return SpareWorker.spawn(preparation).then(
      async (warm) => {
        if (this.closed) {
          await warm.terminate();
          return undefined;
        }
        return warm;
      },
      // A thread that fails to start leaves the pool short; take() spawns directly then.
      () => undefined,
    );
  }
}
