import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../lib/timing/seeded-random.js';

const take = (random: () => number, n: number) => Array.from({ length: n }, () => random());

describe('seededRandom', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    expect(take(seededRandom(42), 20)).toEqual(take(seededRandom(42), 20));
    expect(take(seededRandom(42), 20)).not.toEqual(take(seededRandom(43), 20));
  });

  it('stays in [0, 1) and spreads over it', () => {
    const values = take(seededRandom(7), 10_000);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('refuses a seed that is not a safe integer', () => {
    expect(() => seededRandom(0.5)).toThrow(RangeError);
  });
});
