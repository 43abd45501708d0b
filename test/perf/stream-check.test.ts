import { describe, expect, it } from 'vitest';
import { checkNumbers } from '../../perf/fixtures/stream-check.js';

describe('checkNumbers', () => {
  it('passes 1..n delivered once each, in order', () => {
    expect(checkNumbers([1, 2, 3], 3)).toEqual({ checked: 3, lost: 0, duplicates: 0, reordered: 0, unexpected: 0 });
  });

  it('counts a lost tail when the sender says how many it sent', () => {
    expect(checkNumbers([1, 2, 3], 5)).toEqual({ checked: 5, lost: 2, duplicates: 0, reordered: 0, unexpected: 0 });
    // Without the sender's count, only the numbers up to the highest delivered are checked.
    expect(checkNumbers([1, 2, 3]).lost).toBe(0);
  });

  it('counts numbers that were never sent apart, and not as delivered', () => {
    expect(checkNumbers([1, 7, 0, 2.5, 2], 3)).toEqual({ checked: 3, lost: 1, duplicates: 0, reordered: 0, unexpected: 3 });
  });

  it('counts repeats and late arrivals apart from losses', () => {
    expect(checkNumbers([2, 1, 2, 3], 3)).toEqual({ checked: 3, lost: 0, duplicates: 1, reordered: 1, unexpected: 0 });
  });

  it('finds nothing delivered of a stream sent as all lost', () => {
    expect(checkNumbers([], 4)).toEqual({ checked: 4, lost: 4, duplicates: 0, reordered: 0, unexpected: 0 });
  });
});
