/** The real clock's timers: a delay beyond what the event loop's timers take still waits, and can be cleared. */
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, realClock } from '../../../lib/timing/clock.js';

const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the real clock', () => {
  it('does not fire a delay longer than the timers take at once (Node would, after 1 ms)', async () => {
    let fired = false;
    const month = realClock.setTimeout(() => (fired = true), 30 * 24 * 3_600_000);
    // A timer due later than 1 ms: the overflowed one would have fired before it.
    await after(20);
    expect(fired).toBe(false);
    realClock.clearTimeout(month);
  });

  it('fires a delay within the limit, and a cleared one never', async () => {
    const fired: string[] = [];
    realClock.setTimeout(() => fired.push('short'), 5);
    const cleared = realClock.setTimeout(() => fired.push('cleared'), 5);
    realClock.clearTimeout(cleared);
    await after(20);
    expect(fired).toEqual(['short']);
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
  });
});
