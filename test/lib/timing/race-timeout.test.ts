import { describe, expect, it } from 'vitest';
import { raceTimeout } from '../../../lib/timing/race-timeout.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';

describe('raceTimeout', () => {
  it('gives the promise value when it settles first, and clears the deadline', async () => {
    const clock = new VirtualClock();
    await expect(raceTimeout(clock, Promise.resolve('answer'), 100, () => 'late')).resolves.toBe('answer');
    expect(clock.pendingTimers()).toBe(0);
  });

  it("gives onTimeout's value when the deadline passes first", async () => {
    const clock = new VirtualClock();
    const raced = raceTimeout(clock, new Promise<string>(() => undefined), 100, () => 'late');
    clock.advance(99);
    await clock.settle();
    let settled = false;
    void raced.then(() => (settled = true));
    await clock.settle();
    expect(settled).toBe(false);
    clock.advance(1);
    await expect(raced).resolves.toBe('late');
  });

  it('passes on a rejection of the promise, or an error onTimeout throws', async () => {
    const clock = new VirtualClock();
    await expect(raceTimeout(clock, Promise.reject(new Error('boom')), 100, () => 'late')).rejects.toThrow('boom');
    expect(clock.pendingTimers()).toBe(0);
    const raced = raceTimeout(clock, new Promise<string>(() => undefined), 5, () => {
      throw new RangeError('too slow');
    });
    clock.advance(5);
    await expect(raced).rejects.toThrow(RangeError);
  });
});
