/** A slow snapshot write is told as it runs past the rule's threshold, once per write, without asking the blocked thread. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SLOW_WRITE_MS, SlowWriteWatch } from '../../../../actors/runtime/self-healing/slow-write-watch.js';
import type { ActorCell } from '../../../../actors/runtime/supervision/actor-cell.js';
import type { ActorIncarnation } from '../../../../actors/runtime/contracts/host.js';
import type { TelemetrySample } from '../../../../lib/mape/telemetry.js';
import { realClock } from '../../../../lib/timing/clock.js';

afterEach(() => {
  vi.useRealTimers();
});

/** One running actor whose thread has been writing since `writeStartedAt` (0: not writing), as its shared memory says. */
function watchOver() {
  const thread = { writeStartedAt: 0 };
  const incarnation = { storeWriteRunningMs: (now: number) => (thread.writeStartedAt > 0 ? now - thread.writeStartedAt : 0) } as unknown as ActorIncarnation;
  const cell = { id: 'store-bound', state: 'running', current: incarnation } as unknown as ActorCell;
  const published: TelemetrySample[] = [];
  const watch = new SlowWriteWatch({
    clock: realClock,
    cells: () => [cell],
    publish: (sample) => published.push(sample),
    failed: (error) => {
      throw error;
    },
  });
  return { watch, thread, published };
}

describe('the slow-write watch', () => {
  it('tells a write once it has run for the threshold, once, and the next slow write again', () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    const { watch, thread, published } = watchOver();
    thread.writeStartedAt = Date.now();
    vi.setSystemTime(Date.now() + SLOW_WRITE_MS - 1);
    watch.check();
    expect(published).toEqual([]);
    vi.setSystemTime(Date.now() + 1);
    watch.check();
    expect(published).toEqual([{ at: expect.any(Number), intervalMs: 0, points: [{ metric: 'actor.store_write_ms', source: 'store-bound', value: SLOW_WRITE_MS }] }]);
    // The same write, still running: told already.
    vi.setSystemTime(Date.now() + 500);
    watch.check();
    expect(published).toHaveLength(1);
    // It ends; the next write is slow too.
    thread.writeStartedAt = 0;
    watch.check();
    thread.writeStartedAt = Date.now();
    vi.setSystemTime(Date.now() + 200);
    watch.check();
    expect(published).toHaveLength(2);
    expect(published[1]!.points[0]!.value).toBe(200);
  });
});
