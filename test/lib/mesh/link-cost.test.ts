/**
 * A link's routing cost: a hop alone costs HOP_COST; the round trip adds on a log scale (10 ms one
 * third of a hop, 70 ms a hop, 630 ms two), quantised to COST_STEP so that sub-millisecond jitter
 * changes nothing; a late peer adds LATE_PENALTY; a round trip that is missing, NaN, infinite or
 * negative counts as none; no cost exceeds MAX_LINK_COST.
 */
import { describe, expect, it } from 'vitest';
import { COST_STEP, HOP_COST, LATE_PENALTY, linkCost, MAX_LINK_COST, RTT_COST_PER_DOUBLING } from '../../../lib/mesh/link-cost.js';

describe('link cost', () => {
  it('is one hop for a link with no round trip measured yet or a round trip of 0', () => {
    expect(HOP_COST).toBe(96);
    expect(linkCost({})).toBe(HOP_COST);
    expect(linkCost({ rttMs: 0, phi: 0 })).toBe(HOP_COST);
  });

  it('adds the round trip on a log scale: 10 ms adds 32, 70 ms a hop, 630 ms two hops', () => {
    expect(RTT_COST_PER_DOUBLING).toBe(32);
    expect(linkCost({ rttMs: 10 })).toBe(HOP_COST + 32);
    expect(linkCost({ rttMs: 70 })).toBe(HOP_COST + 96);
    expect(linkCost({ rttMs: 630 })).toBe(HOP_COST + 192);
  });

  it('quantises to COST_STEP: half a millisecond is lost in the rounding, one millisecond is one step', () => {
    expect(linkCost({ rttMs: 0.5 })).toBe(HOP_COST);
    expect(linkCost({ rttMs: 1 })).toBe(HOP_COST + COST_STEP);
    // 96 + 32 × log2(1.5) = 114.7: the nearest step is 112.
    expect(linkCost({ rttMs: 5 })).toBe(112);
    for (let rttMs = 0; rttMs < 1_000; rttMs += 3.7) expect(linkCost({ rttMs }) % COST_STEP).toBe(0);
  });

  it('adds the late penalty from phi 1 on, not below it', () => {
    expect(LATE_PENALTY).toBe(2 * HOP_COST);
    expect(linkCost({ phi: 0.99 })).toBe(HOP_COST);
    expect(linkCost({ phi: 1 })).toBe(HOP_COST + LATE_PENALTY);
    expect(linkCost({ rttMs: 10, phi: 8 })).toBe(HOP_COST + 32 + LATE_PENALTY);
  });

  it('takes a round trip that is NaN, infinite or negative as none, and a NaN phi as on time', () => {
    for (const rttMs of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -50, undefined]) expect(linkCost({ rttMs })).toBe(HOP_COST);
    expect(linkCost({ rttMs: 10, phi: Number.NaN })).toBe(HOP_COST + 32);
  });

  it('never exceeds MAX_LINK_COST', () => {
    expect(linkCost({ rttMs: Number.MAX_VALUE, phi: 100 })).toBe(MAX_LINK_COST);
    expect(linkCost({ rttMs: 1e300 })).toBe(MAX_LINK_COST);
    // Below the ceiling a slow link still costs what its round trip says: an hour is 96 + 32 × log2(360,001) ≈ 686.
    expect(linkCost({ rttMs: 3_600_000 })).toBe(688);
  });
});
