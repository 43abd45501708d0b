/**
 * An actor's health reading, the same in a worker thread and in the inline host: its machine state
 * and what the thread it runs in uses. The times here are the OS's, not the node's Clock: CPU time
 * and running time are the thread's own and feed CPU and heap-growth rates, which only mean
 * something against real time.
 */
import { getHeapStatistics } from 'node:v8';
import type { WorkerHealth } from './worker-control.js';
import { retainedHeapBytes } from './thread-usage.js';
import type { TimedSnapshotPort } from './timed-snapshot-port.js';

export interface ActorUsage {
  /** The machine's state value (undefined when no actor runs). */
  state: unknown;
  /** performance.now() when the actor started; undefined when none runs (running time 0). */
  startedAt: number | undefined;
  /** The actor's CPU time in ms, -1 where it has no thread of its own or the OS does not say. */
  cpuTimeMs: number;
  snapshots: TimedSnapshotPort | undefined;
  threadId: number;
}

export function actorHealth(usage: ActorUsage): WorkerHealth {
  return {
    state: usage.state,
    // V8's own count: process.memoryUsage() also reads the resident set from a /proc file, and
    // fails with the whole health answer when the process is out of descriptors.
    heapUsedBytes: getHeapStatistics().used_heap_size,
    retainedHeapBytes: retainedHeapBytes(),
    cpuTimeMs: usage.cpuTimeMs,
    runningMs: usage.startedAt === undefined ? 0 : performance.now() - usage.startedAt,
    storeWriteMaxMs: usage.snapshots?.takeMaxWriteMs() ?? 0,
    threadId: usage.threadId,
  };
}
