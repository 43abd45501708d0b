import { describe, expect, it } from 'vitest';
import { nearestRank } from '../../store/nearest-rank.js';

describe('nearestRank', () => {
  it('picks the value at rank ceil(p/100 * n), never interpolating', () => {
    const values = [10, 20, 30, 40];
    expect(nearestRank(values, 50)).toBe(20);
    expect(nearestRank(values, 51)).toBe(30);
    expect(nearestRank(values, 99)).toBe(40);
    expect(nearestRank(values, 100)).toBe(40);
    expect(nearestRank(values, 1)).toBe(10);
    expect(nearestRank([7], 50)).toBe(7);
  });

  it('does not skip a rank when p/100 * n lands a hair above an integer', () => {
    // 0.07 * 100 is 7.000000000000001 in floating point; rank 7 is the value 7.
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(nearestRank(hundred, 7)).toBe(7);
    expect(nearestRank(hundred, 99)).toBe(99);
  });

  it('returns undefined for no values and refuses a percentile outside (0, 100]', () => {
    expect(nearestRank([], 50)).toBeUndefined();
    for (const p of [0, -1, 100.5, Number.NaN]) expect(() => nearestRank([1], p)).toThrow(RangeError);
  });
});
