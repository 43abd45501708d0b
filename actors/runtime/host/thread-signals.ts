/**
 * Facts a worker thread publishes in shared memory for the host to read without asking it: how
 * many messages and other input it has processed (a 32-bit count that wraps), since when a store write has been under way, and its kernel
 * thread id. A hung thread cannot answer a probe, and neither can one blocked in a slow write;
 * these tell the two apart, and tell both from a thread that is merely busy (its count moves)
 * or kept off the cores by a loaded machine (its scheduler times, read by its id: thread-schedstat.ts).
 */
/**
 * Layout: [0, 8) the epoch ms at which the current store write started (0: none); [8, 12)
 * processed count (messages and input, Int32: wraps); [12, 16) the kernel thread id (0: not known).
 */
/**
 * Epoch ms from the OS (Date.now), not the node's Clock: written in the worker thread, read in the
 * node's, and the two threads' performance.now() origins differ.
 */
const BYTES = 16;

export class ThreadSignals {
  private readonly writeStartedAt: Float64Array;
  private readonly processed: Int32Array;
  private readonly tid: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BYTES)) {
    this.writeStartedAt = new Float64Array(buffer, 0, 1);
    this.processed = new Int32Array(buffer, 8, 1);
    this.tid = new Int32Array(buffer, 12, 1);
  }

  /** Thread side, once at start. */
  osThreadId(tid: number): void {
    Atomics.store(this.tid, 0, tid);
  }

  /** Host side: the thread's kernel id, 0 until it has said. */
  readOsThreadId(): number {
    return Atomics.load(this.tid, 0);
  }

  /** Thread side. */
  messageProcessed(count = 1): void {
    Atomics.add(this.processed, 0, count);
  }

  /** Thread side. */
  storeWrite(started: boolean): void {
    this.writeStartedAt[0] = started ? Date.now() : 0;
  }

  /** Host side. */
  processedCount(): number {
    return Atomics.load(this.processed, 0);
  }

  /** Host side: how long the write under way has lasted, 0 when none is. */
  storeWriteRunningMs(now: number): number {
    const startedAt = this.writeStartedAt[0]!;
    return startedAt === 0 ? 0 : Math.max(0, now - startedAt);
  }
}
