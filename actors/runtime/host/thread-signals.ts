/**
 * Facts a worker thread publishes in shared memory for the host to read without asking it: how
 * many messages and other input it has processed (a 32-bit count that wraps), since when a store write has been under way, its kernel
 * thread id, and its retained heap a few times a second (a leak is seen growing between samples). A hung thread cannot answer a probe, and neither can one blocked in a slow write;
 * these tell the two apart, and tell both from a thread that is merely busy (its count moves)
 * or kept off the cores by a loaded machine (its scheduler times, read by its id: thread-schedstat.ts).
 */
/**
 * Layout: [0, 8) the epoch ms at which the current store write started (0: none); [8, 12)
 * processed count (messages and input, Int32: wraps); [12, 16) the kernel thread id (0: not known);
 * [16, 20) the retained heap in KiB and [20, 24) the thread's own performance.now() in ms (Int32,
 * wraps) when it last read it, 0 until it has.
 */
/**
 * Epoch ms from the OS (Date.now), not the node's Clock: written in the worker thread, read in the
 * node's, and the two threads' performance.now() origins differ.
 */
const BYTES = 24;

/**
 * How often a thread writes down its retained heap: often enough that the thread watch sees a
 * leak within a few tenths of a second, rarely enough that the reading (V8's space statistics,
 * a few µs) costs nothing and an idle thread wakes only ten times a second for it.
 */
export const HEAP_SIGNAL_EVERY_MS = 100;

export class ThreadSignals {
  private readonly writeStartedAt: Float64Array;
  private readonly processed: Int32Array;
  private readonly tid: Int32Array;
  private readonly heap: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BYTES)) {
    this.writeStartedAt = new Float64Array(buffer, 0, 1);
    this.processed = new Int32Array(buffer, 8, 1);
    this.tid = new Int32Array(buffer, 12, 1);
    this.heap = new Int32Array(buffer, 16, 2);
  }

  /**
   * Thread side, every HEAP_SIGNAL_EVERY_MS: what survived garbage collection (thread-usage.ts's
   * retainedHeapBytes) and when, by the thread's own clock. The stamp is written last and read
   * on both sides of the size, so a reader never pairs one reading's size with another's time.
   */
  retainedHeap(bytes: number, atMs: number): void {
    Atomics.store(this.heap, 1, 0);
    Atomics.store(this.heap, 0, Math.min(0x7fffffff, Math.round(bytes / 1024)));
    Atomics.store(this.heap, 1, Math.round(atMs) | 1);
  }

  /** Host side: the thread's last retained-heap reading (KiB, and its own ms stamp, 32 bits that wrap), undefined before the first or during a write. */
  readRetainedHeap(): { kib: number; atMs: number } | undefined {
    const before = Atomics.load(this.heap, 1);
    const kib = Atomics.load(this.heap, 0);
    const after = Atomics.load(this.heap, 1);
    return before === 0 || before !== after ? undefined : { kib, atMs: after };
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
