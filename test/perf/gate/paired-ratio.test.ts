/**
 * The paired ratio: sides alternate, in the opposite order every other round; warm-up rounds are
 * run and dropped; each kept round gives numerator ÷ denominator; a side that measures nothing
 * stops the run instead of giving an infinite or zero ratio. And the CPU clock counts this
 * thread's work but not time spent waiting.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { interleavedRatio, medianCpuMicros, medianCpuMicrosAsync, pairedRatio, warmFor, warmUntilSteady } from '../../../perf/gate/paired-ratio.js';
import { median } from '../../../perf/stats.js';

describe('pairedRatio', () => {
  it('alternates the sides round by round, drops the warm-up, and keeps one ratio per round', async () => {
    const calls: string[] = [];
    let top = 0;
    let bottom = 0;
    const result = await pairedRatio({
      rounds: 4,
      warmupRounds: 1,
      numerator: { label: 'n', measure: () => (calls.push('n'), 10 * ++top) },
      denominator: { label: 'd', measure: async () => (calls.push('d'), 5 * ++bottom) },
    });
    expect(calls.join('')).toBe('nddnnddnnd');
    expect(result.numerator).toEqual([20, 30, 40, 50]);
    expect(result.denominator).toEqual([10, 15, 20, 25]);
    expect(result.ratios).toEqual([2, 2, 2, 2]);
  });

  it('refuses a side that measured zero or a non-number', async () => {
    for (const bad of [0, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(pairedRatio({ rounds: 2, warmupRounds: 0, numerator: { label: 'n', measure: () => 1 }, denominator: { label: 'd', measure: () => bad } })).rejects.toThrow(RangeError);
    }
  });

  it('the median of per-round ratios passes over a minority of rounds one side was slowed in', async () => {
    let round = 0;
    const result = await pairedRatio({
      rounds: 9,
      warmupRounds: 0,
      numerator: { label: 'n', measure: () => (round++ % 3 === 0 ? 30 : 3) },
      denominator: { label: 'd', measure: () => 1 },
    });
    expect(median([...result.ratios].sort((a, b) => a - b))).toBe(3);
  });
});

describe('interleavedRatio', () => {
  it('alternates the two operations call by call, each in turn first, and keeps one ratio per round after the warm-up', () => {
    const calls: string[] = [];
    // Work, not a wall-time wait: each call takes some µs however loaded the machine is.
    const block = Buffer.alloc(4 * 1024, 1);
    const work = (label: string) => () => {
      calls.push(label);
      createHash('sha256').update(block).digest();
    };
    const result = interleavedRatio({ rounds: 3, warmupRounds: 1, callsPerRound: 4, numerator: { label: 'n', run: work('n') }, denominator: { label: 'd', run: work('d') } });
    expect(calls.join('')).toBe('nddnnddn'.repeat(4));
    expect(result.ratios).toHaveLength(3);
    expect(result.numerator).toHaveLength(3);
    expect(result.ratios.every((ratio, i) => ratio === result.numerator[i]! / result.denominator[i]!)).toBe(true);
  });
});

describe('CPU clock', () => {
  it('counts work done and not time asleep', async () => {
    // A fixed amount of work (not a wall-time loop), so a loaded machine cannot shrink its CPU time.
    const block = Buffer.alloc(64 * 1024, 1);
    const busy = medianCpuMicros(3, () => {
      for (let i = 0; i < 200; i++) createHash('sha256').update(block).digest();
    });
    const asleep = await medianCpuMicrosAsync(3, () => new Promise((resolve) => setTimeout(resolve, 20)));
    expect(busy).toBeGreaterThan(asleep * 2);
  });
});

describe('warm-up', () => {
  it('runs whole blocks until one is no faster than the one before, after the minimum time', async () => {
    let calls = 0;
    warmUntilSteady(() => calls++);
    expect(calls).toBeGreaterThanOrEqual(50);
    expect(calls % 25).toBe(0);
    let timed = 0;
    const started = performance.now();
    warmUntilSteady(() => timed++, 30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(30);
    expect(timed).toBeGreaterThan(50);
    let awaited = 0;
    await warmFor(0, async () => void awaited++);
    expect(awaited).toBe(0);
    await warmFor(20, async () => void awaited++);
    expect(awaited).toBeGreaterThan(0);
  });
});
