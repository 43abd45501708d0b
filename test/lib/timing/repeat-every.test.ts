import { describe, expect, it } from 'vitest';
import { repeatEvery } from '../../../lib/timing/repeat-every.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';

describe('repeatEvery', () => {
  it('runs every interval on the clock until cancelled, leaving no timer behind', () => {
    const clock = new VirtualClock();
    const runs: number[] = [];
    const timer = repeatEvery(clock, 100, () => runs.push(clock.monotonicNow()));
    clock.advance(350);
    expect(runs).toEqual([100, 200, 300]);
    timer.cancel();
    clock.advance(1_000);
    expect(runs).toEqual([100, 200, 300]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('can be cancelled from its own callback', () => {
    const clock = new VirtualClock();
    let runs = 0;
    const timer = repeatEvery(clock, 10, () => {
      if (++runs === 2) timer.cancel();
    });
    clock.advance(100);
    expect(runs).toBe(2);
    expect(clock.pendingTimers()).toBe(0);
  });
});
