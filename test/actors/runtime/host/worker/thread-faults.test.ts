/**
 * The chaos faults a worker thread carries, run in this test's thread as a worker runs them in its
 * own: the CPU hog keeps the thread busy yet lets its event loop turn, the leak retains memory
 * until cleared, and the slow store stalls every snapshot write by its delay, which is what the
 * write timing the monitor reads then shows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SLOW_STORE_DELAY_MS, ThreadFaults } from '../../../../../actors/runtime/host/worker/thread-faults.js';
import { retainedHeapBytes, threadCpuMs } from '../../../../../actors/runtime/host/worker/thread-usage.js';
import { timedSnapshotPort } from '../../../../../actors/runtime/host/worker/timed-snapshot-port.js';
import { createActorSnapshotStore } from '../../../../../store/actor-snapshots.js';
import { until } from '../../../../helpers/wait.js';
import { useStoreFile } from '../../../../store/fixtures/store-file.js';

const storeFile = useStoreFile();
const MIB = 1024 * 1024;

/** A full collection, so the retained spaces hold only what is live. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
const faults = new ThreadFaults();
afterEach(() => faults.clear());

describe('thread faults', () => {
  it("burns the thread's CPU while its event loop still turns (liveness pings get through)", async () => {
    const before = threadCpuMs();
    faults.startCpuHog();
    // Each check is a timer firing between two bursts of the hog: were the loop blocked, it would never return.
    await until('200 ms of CPU burnt', () => threadCpuMs() - before >= 200, 30_000, 5);
  });

  it('retains memory while the leak runs, and lets it go once cleared', async () => {
    const before = retainedHeapBytes();
    faults.startMemoryLeak();
    await until('32 MiB retained', () => retainedHeapBytes() - before >= 32 * 1024 * 1024, 30_000, 10);
    faults.clear();
    // What was leaked is unreachable now: the retained spaces give it back at the next full collection.
    let pressure: number[] = [];
    await until('the leak collected', () => {
      // Allocation pressure brings the collection about (no --expose-gc here); one array is live at a time.
      pressure = new Array<number>(1024 * 1024).fill(pressure.length);
      return retainedHeapBytes() - before < 32 * 1024 * 1024;
    }, 30_000, 10);
  });

  it('keeps leaking at its rate in real time when the thread is starved of a core', async () => {
    collectGarbage();
    const before = retainedHeapBytes();
    faults.startMemoryLeak();
    // The thread held for 600 ms, as a starved one would be: the leak's timer misses 11 ticks.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
    // The leak's tick was due first, so it has run once this timer fires.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    // 600 ms at 64 MiB/s is 37.5 MiB; a timer that does not catch up would have retained one tick's 3.2 MiB.
    expect(retainedHeapBytes() - before).toBeGreaterThanOrEqual(32 * MIB);
  });

  it('stalls each snapshot write by its delay once injected, and the write timing shows it', () => {
    const port = timedSnapshotPort(createActorSnapshotStore(storeFile.open()), { started: () => faults.beforeStoreWrite(), ended: () => undefined });
    port.save('a', { snapshot: { value: 'x' }, runId: 'r', lastSeq: 1 });
    const healthy = port.takeMaxWriteMs();
    // Taking the longest write resets it.
    expect(port.takeMaxWriteMs()).toBe(0);
    faults.slowStore();
    port.save('a', { snapshot: { value: 'y' }, runId: 'r', lastSeq: 2 });
    // A lower bound only: load can lengthen a write, never shorten the stall.
    expect(port.takeMaxWriteMs()).toBeGreaterThanOrEqual(SLOW_STORE_DELAY_MS);
    expect(port.load('a')).toMatchObject({ lastSeq: 2 });
    expect(healthy).toBeGreaterThanOrEqual(0);
  });
});
