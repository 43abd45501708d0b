/**
 * The signals a worker thread leaves in shared memory for its host to read without asking it (a hung
 * thread cannot answer): its kernel thread id, the messages it processed, the store write under
 * way, its retained heap; and what the kernel's scheduler then says about that thread. Both sides are played here
 * over one shared buffer, as the worker and its host hold it.
 */
import { readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ThreadSignals } from '../../../../actors/runtime/host/thread-signals.js';
import { ownOsThreadId, threadSchedStat } from '../../../../actors/runtime/host/thread-schedstat.js';

describe('thread signals', () => {
  it("carries the thread's retained heap in KiB with its own time stamp, and nothing before the first reading", () => {
    const host = new ThreadSignals();
    const thread = new ThreadSignals(host.buffer);
    expect(host.readRetainedHeap()).toBeUndefined();
    thread.retainedHeap(64 * 1024 * 1024, 1_234.4);
    expect(host.readRetainedHeap()).toEqual({ kib: 64 * 1024, atMs: 1_235 });
    // A stamp past 2^31 ms wraps: two stamps are compared by their difference, which stays right.
    thread.retainedHeap(1024, 2 ** 31 + 100);
    const wrapped = host.readRetainedHeap()!;
    expect((wrapped.atMs - 1_235) | 0).toBe(2 ** 31 + 101 - 1_235);
    expect(wrapped.kib).toBe(1);
  });

  it("carries the thread's kernel id, its processed count and its store write to the host side", () => {
    const host = new ThreadSignals();
    const thread = new ThreadSignals(host.buffer);
    expect(host.readOsThreadId()).toBe(0);
    thread.osThreadId(ownOsThreadId());
    expect(host.readOsThreadId()).toBe(Number(readlinkSync('/proc/thread-self').split('/').pop()));

    expect(host.processedCount()).toBe(0);
    for (let i = 0; i < 3; i++) thread.messageProcessed();
    expect(host.processedCount()).toBe(3);

    const now = Date.now();
    expect(host.storeWriteRunningMs(now)).toBe(0);
    thread.storeWrite(true);
    const started = Date.now();
    expect(host.storeWriteRunningMs(started + 250)).toBeGreaterThanOrEqual(250);
    // A host clock behind the thread's never reads a negative duration.
    expect(host.storeWriteRunningMs(started - 1_000)).toBe(0);
    thread.storeWrite(false);
    expect(host.storeWriteRunningMs(started + 250)).toBe(0);
  });

  it("reads the scheduler's view of a thread by its kernel id, and nothing for a thread that is not there", () => {
    const tid = ownOsThreadId();
    expect(tid).toBeGreaterThan(0);
    const stat = threadSchedStat(tid)!;
    // This thread is running as it reads: on a core, with run time behind it.
    expect(stat.runnable).toBe(true);
    expect(stat.runMs).toBeGreaterThan(0);
    expect(stat.waitMs).toBeGreaterThanOrEqual(0);
    expect(stat.yields).toBeGreaterThanOrEqual(0);
    expect(threadSchedStat(0)).toBeUndefined();
    // Thread ids are below the kernel's pid_max (at most 2^22).
    expect(threadSchedStat(2 ** 22 + 1)).toBeUndefined();
  });
});
