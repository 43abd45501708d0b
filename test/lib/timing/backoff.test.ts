import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../../lib/timing/backoff.js';
import { restartDelayMs } from '../../../actors/runtime/supervision/backoff.js';

const policy = { minMs: 100, maxMs: 1_000, jitter: 0.2 };

describe('backoffDelayMs', () => {
  it('doubles from minMs per attempt and stops at maxMs', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(policy, attempt, middle))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('spreads the delay over ±jitter of the nominal value', () => {
    expect(backoffDelayMs(policy, 2, () => 0)).toBe(160);
    expect(backoffDelayMs(policy, 2, () => 0.999_999)).toBe(240);
  });

  it('waits nothing when the policy allows no delay', () => {
    expect(backoffDelayMs({ minMs: 100, maxMs: 0, jitter: 0.5 }, 3, () => 1)).toBe(0);
  });
});

describe('restartDelayMs (supervision)', () => {
  it('restarts the first crash in a period at once, then backs off', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4].map((restarts) => restartDelayMs(policy, restarts, middle))).toEqual([0, 100, 200, 400]);
  });
});
