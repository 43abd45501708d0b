import { describe, expect, it } from 'vitest';
import { VIRTUAL_EPOCH_MS, VirtualClock } from '../../../lib/timing/virtual-clock.js';

describe('VirtualClock', () => {
  it('stands still until advanced, wall and monotonic time moving together', () => {
    const clock = new VirtualClock({ epochMs: 1_000 });
    expect([clock.now(), clock.monotonicNow()]).toEqual([1_000, 0]);
    clock.advance(250);
    expect([clock.now(), clock.monotonicNow()]).toEqual([1_250, 250]);
    expect(new VirtualClock().now()).toBe(VIRTUAL_EPOCH_MS);
  });

  it('fires due timers in time order, ties in the order they were set, each seeing its own due time', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    const note = (name: string) => () => fired.push(`${name}@${clock.monotonicNow()}`);
    clock.setTimeout(note('c'), 30);
    clock.setTimeout(note('a'), 10);
    clock.setTimeout(note('b1'), 20);
    clock.setTimeout(note('b2'), 20);
    clock.setTimeout(note('late'), 100);
    clock.advance(50);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
    expect(clock.monotonicNow()).toBe(50);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerAt()).toBe(100);
  });

  it('fires timers set by a callback when they fall within the window, and not cleared ones', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const cleared = clock.setTimeout(() => fired.push(-1), 5);
    clock.setTimeout(() => {
      fired.push(clock.monotonicNow());
      clock.setTimeout(() => fired.push(clock.monotonicNow()), 10);
      clock.setTimeout(() => fired.push(clock.monotonicNow()), 100);
    }, 10);
    clock.clearTimeout(cleared);
    clock.advance(30);
    expect(fired).toEqual([10, 20]);
    clock.advance(80);
    expect(fired).toEqual([10, 20, 110]);
  });

  it('treats a negative or NaN delay as zero and refuses to go backwards', () => {
    const clock = new VirtualClock();
    let fired = 0;
    clock.setTimeout(() => fired++, -5);
    clock.setTimeout(() => fired++, Number.NaN);
    clock.advance(0);
    expect(fired).toBe(2);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('advanceAsync lets promise continuations run between timers, so timer-driven async code progresses', async () => {
    const clock = new VirtualClock();
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    const steps: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(100);
        await Promise.resolve();
        steps.push(clock.monotonicNow());
      }
    })();
    await clock.advanceAsync(350);
    await loop;
    expect(steps).toEqual([100, 200, 300]);
    expect(clock.monotonicNow()).toBe(350);
  });

  it('advance alone does not run continuations: the second sleep is not set yet', () => {
    const clock = new VirtualClock();
    const steps: number[] = [];
    void (async () => {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 100));
      steps.push(clock.monotonicNow());
    })();
    clock.advance(500);
    expect(steps).toEqual([]);
  });
});
