/**
 * What a thread reads about itself for its health reports (run here, in this test's thread, as a
 * worker runs it in its own): its CPU time from /proc/thread-self, which grows with work done
 * and not with time spent waiting, and its retained heap, which grows with what survives.
 */
import { describe, expect, it } from 'vitest';
import { busyFor } from '../../../../../actors/runtime/host/worker/thread-faults.js';
import { retainedHeapBytes, threadCpuMs } from '../../../../../actors/runtime/host/worker/thread-usage.js';
import { until } from '../../../../helpers/wait.js';

describe('thread usage', () => {
  it("reads the calling thread's CPU time, which grows while it works", async () => {
    const before = threadCpuMs();
    expect(before).toBeGreaterThanOrEqual(0);
    // On a loaded machine the work may get less of a core than its wall time: work until the ticks show it.
    await until('100 ms of CPU time', () => {
      busyFor(20);
      return threadCpuMs() - before >= 100;
    }, 30_000, 0);
    expect(threadCpuMs()).toBeGreaterThanOrEqual(before + 100);
  });

  it('counts what is retained in the old and large-object spaces', async () => {
    const before = retainedHeapBytes();
    expect(before).toBeGreaterThan(0);
    // Arrays of 8 MiB are past the large-object threshold: each lands in the retained spaces at once.
    // Kept until the count shows 32 MiB more (a collection meanwhile may give back other memory).
    const kept: number[][] = [];
    await until('32 MiB more retained', () => {
      if (kept.length >= 32) throw new Error(`256 MiB kept, yet the retained heap grew by only ${retainedHeapBytes() - before} bytes`);
      kept.push(new Array<number>(1024 * 1024).fill(0.5));
      return retainedHeapBytes() - before >= 32 * 1024 * 1024;
    }, 30_000, 0);
  });
});
