/**
 * The sampler's CPU and heap-growth rates are the thread's own: usage divided by the time between
 * two of the thread's readings, as the thread stamped them. A main thread that reads an answer
 * late (a busy machine) must not stretch the window, or a leak would read slower than it is and
 * a verification could take it for cured.
 */
import { describe, expect, it, vi } from 'vitest';
import { RuntimeSampler, STARTUP_GRACE_MS } from '../../../../actors/runtime/self-healing/runtime-sampler.js';
import type { ActorCell } from '../../../../actors/runtime/supervision/actor-cell.js';
import type { ActorIncarnation } from '../../../../actors/runtime/contracts/host.js';
import type { WorkerHealth } from '../../../../actors/runtime/host/worker/worker-control.js';
import type { TelemetrySample } from '../../../../lib/mape/telemetry.js';
import { realClock } from '../../../../lib/timing/clock.js';

const MIB = 1024 * 1024;

/** One running actor whose thread answers each probe with the next of `readings`, after `delayMs` of real time. */
function samplerOver(readings: Array<Omit<WorkerHealth, 'state' | 'heapUsedBytes' | 'storeWriteMaxMs' | 'threadId'> & { handled?: number }>, delayMs: number) {
  const published: TelemetrySample[] = [];
  let next = 0;
  const incarnation = {
    health: async (): Promise<WorkerHealth> => {
      const reading = readings[next++]!;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { ...reading, state: 'idle', heapUsedBytes: reading.retainedHeapBytes, storeWriteMaxMs: 0, threadId: 1 };
    },
    schedStat: () => undefined,
    // The thread's count of messages and input handled, as of the reading answered last.
    processedCount: () => readings[next - 1]?.handled ?? 0,
    utilizationSinceLast: () => undefined,
    loopIdleMs: () => undefined,
    storeWriteRunningMs: () => 0,
  } as unknown as ActorIncarnation;
  const cell = { id: 'leaky', state: 'running', current: incarnation, restarts: 0, mailbox: { depth: 0, counters: { delivered: 0 } } } as unknown as ActorCell;
  const sampler = new RuntimeSampler({
    intervalMs: 1_000,
    probeTimeoutMs: 60_000,
    clock: realClock,
    cells: () => [cell],
    takeRequestLatencies: () => new Map(),
    publish: (sample) => published.push(sample),
    sampleFailed: (error) => {
      throw error;
    },
  });
  return { sampler, published, incarnation };
}

const valueOf = (sample: TelemetrySample | undefined, metric: string) => sample?.points.find((point) => point.metric === metric && point.source === 'leaky')?.value;

describe('the runtime sampler', () => {
  it("measures heap growth and CPU share over the thread's own reading times, however late the answers are read", async () => {
    const start = STARTUP_GRACE_MS + 100;
    // 250 ms of the thread's time between readings, each answer read 300 ms late.
    const { sampler, published } = samplerOver(
      [
        { retainedHeapBytes: 100 * MIB, cpuTimeMs: 100, runningMs: start },
        { retainedHeapBytes: 116 * MIB, cpuTimeMs: 225, runningMs: start + 250 },
      ],
      300,
    );
    await sampler.sample();
    expect(valueOf(published[0], 'actor.retained_heap_growth_bps')).toBeUndefined();
    await sampler.sample();
    expect(valueOf(published[1], 'actor.retained_heap_growth_bps')).toBe(64 * MIB);
    expect(valueOf(published[1], 'actor.cpu_ratio')).toBe(0.5);
  });

  it('gives no rate over a window that starts in the start-up grace', async () => {
    const { sampler, published } = samplerOver(
      [
        { retainedHeapBytes: 10 * MIB, cpuTimeMs: 50, runningMs: STARTUP_GRACE_MS - 1 },
        { retainedHeapBytes: 60 * MIB, cpuTimeMs: 400, runningMs: STARTUP_GRACE_MS + 249 },
      ],
      0,
    );
    await sampler.sample();
    await sampler.sample();
    expect(valueOf(published[1], 'actor.retained_heap_growth_bps')).toBeUndefined();
    expect(valueOf(published[1], 'actor.cpu_ratio')).toBeUndefined();
    expect(valueOf(published[1], 'actor.unresponsive')).toBe(0);
  });

  it('sets the CPU time against the messages and input the thread handled, across a wrap of its signed 32-bit count', async () => {
    const start = STARTUP_GRACE_MS + 100;
    const { sampler, published } = samplerOver(
      [
        { retainedHeapBytes: MIB, cpuTimeMs: 100, runningMs: start, handled: 2 ** 31 - 10 },
        // 40 ms of CPU over 20 handled, the count wrapping on the way as an Int32Array's does (from 2^31 - 1 to -2^31).
        { retainedHeapBytes: MIB, cpuTimeMs: 140, runningMs: start + 1_000, handled: -(2 ** 31) + 10 },
        // 90 ms of CPU and nothing handled: the whole CPU time on none (counted as one).
        { retainedHeapBytes: MIB, cpuTimeMs: 230, runningMs: start + 2_000, handled: -(2 ** 31) + 10 },
      ],
      0,
    );
    await sampler.sample();
    await sampler.sample();
    await sampler.sample();
    expect(valueOf(published[1], 'actor.cpu_ms_per_input')).toBe(2);
    expect(valueOf(published[2], 'actor.cpu_ms_per_input')).toBe(90);
  });

  it("publishes a mailbox's high-water crossing at once, as a window of its own, outside the delivery that caused it, unless its thread handled nothing since the last sample", async () => {
    const start = STARTUP_GRACE_MS + 100;
    const readings = [{ retainedHeapBytes: MIB, cpuTimeMs: 100, runningMs: start, handled: 5 }];
    const { sampler, published } = samplerOver(readings, 0);
    await sampler.sample();
    published.length = 0;
    sampler.start();
    try {
      // Stuck: nothing handled since the sample, so its mailbox fills behind it; the probe names that, not a flood.
      sampler.mailboxHighWater('leaky', 2_400);
      await Promise.resolve();
      expect(published).toEqual([]);
      // Working through a flood: the count moved.
      readings[0]!.handled = 900;
      sampler.mailboxHighWater('leaky', 2_400);
      // Deferred: nothing is routed from inside the mailbox's offer.
      expect(published).toEqual([]);
      await Promise.resolve();
      expect(published).toEqual([{ at: expect.any(Number), intervalMs: 0, points: [{ metric: 'actor.mailbox_depth', source: 'leaky', value: 2_400 }] }]);
    } finally {
      sampler.stop();
    }
    // Stopped: a crossing during the node's stop is not told.
    sampler.mailboxHighWater('leaky', 2_400);
    await Promise.resolve();
    expect(published).toHaveLength(1);
  });

  it('watches for slow writes from its start to its stop, between samples', async () => {
    // Readings for the samples the timer may take meanwhile (one a second) on a slow machine.
    const readings = Array.from({ length: 30 }, (_, index) => ({ retainedHeapBytes: MIB, cpuTimeMs: index, runningMs: STARTUP_GRACE_MS + 100 + index * 1_000 }));
    const { sampler, published, incarnation } = samplerOver(readings, 0);
    // The thread of 'leaky' has been in one write for 200 ms, as its shared memory says.
    const startedAt = Date.now() - 200;
    (incarnation as unknown as { storeWriteRunningMs(now: number): number }).storeWriteRunningMs = (now) => now - startedAt;
    sampler.start();
    try {
      await vi.waitFor(() => expect(published.some((sample) => sample.intervalMs === 0 && valueOf(sample, 'actor.store_write_ms') !== undefined)).toBe(true), { timeout: 10_000, interval: 20 });
    } finally {
      sampler.stop();
    }
  });
});

