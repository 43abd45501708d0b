/**
 * A link's routing cost: a hop alone costs HOP_COST; the round trip adds on a log scale (10 ms one
 * third of a hop, 70 ms a hop, 630 ms two), quantised to COST_STEP so that sub-millisecond jitter
 * changes nothing; a late peer adds LATE_PENALTY; a round trip that is missing, NaN, infinite or
 * negative counts as none; no cost exceeds MAX_LINK_COST. Loss divides the hop by the share of
 * heartbeats answered (ETX: half lost is two hops), counted up to 0.9, and a loss that is not a
 * number counts as none; a link the MAPE-K loop avoids costs AVOID_PENALTY more.
 */
import { describe, expect, it } from 'vitest';
import { AVOID_PENALTY, COST_STEP, HOP_COST, LATE_PENALTY, linkCost, MAX_LINK_COST, RTT_COST_PER_DOUBLING } from '../../../lib/mesh/link-cost.js';

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

  it('divides a hop by the share of heartbeats answered (ETX): half lost costs two hops, a quarter lost a third more', () => {
    expect(linkCost({ lossRatio: 0 })).toBe(HOP_COST);
    expect(linkCost({ lossRatio: 0.5 })).toBe(2 * HOP_COST);
    expect(linkCost({ lossRatio: 0.25 })).toBe(128);
    // On top of the rest: half lost is one hop more than none, at the same round trip and phi.
    expect(linkCost({ rttMs: 10, phi: 2, lossRatio: 0.5 }) - linkCost({ rttMs: 10, phi: 2 })).toBe(HOP_COST);
    // 96 / 0.99 = 97.0: lost in the rounding, as RTT jitter is.
    expect(linkCost({ lossRatio: 0.01 })).toBe(HOP_COST);
  });

  it('counts loss up to 0.9: a link losing everything costs ten hops, not infinity', () => {
    expect(linkCost({ lossRatio: 0.9 })).toBe(10 * HOP_COST);
    expect(linkCost({ lossRatio: 0.95 })).toBe(10 * HOP_COST);
    expect(linkCost({ lossRatio: 1 })).toBe(10 * HOP_COST);
    expect(linkCost({ lossRatio: 42 })).toBe(10 * HOP_COST);
  });

  it('takes a loss that is NaN, infinite or negative as none', () => {
    for (const lossRatio of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.5, undefined]) expect(linkCost({ lossRatio })).toBe(HOP_COST);
    expect(linkCost({ rttMs: 10, lossRatio: Number.NaN })).toBe(HOP_COST + 32);
  });

  it('adds AVOID_PENALTY, sixteen hops, to a link the loop avoids, and nothing when it is not avoided', () => {
    expect(AVOID_PENALTY).toBe(16 * HOP_COST);
    expect(linkCost({ avoided: true })).toBe(HOP_COST + AVOID_PENALTY);
    expect(linkCost({ avoided: false })).toBe(HOP_COST);
    expect(linkCost({ rttMs: 10, phi: 1, lossRatio: 0.5, avoided: true })).toBe(2 * HOP_COST + 32 + LATE_PENALTY + AVOID_PENALTY);
    // Still finite and below the ceiling: where no other way exists, routes keep the avoided link.
    expect(linkCost({ lossRatio: 0.9, phi: 1, avoided: true })).toBe(10 * HOP_COST + LATE_PENALTY + AVOID_PENALTY);
    expect(linkCost({ lossRatio: 0.9, phi: 1, avoided: true })).toBeLessThan(MAX_LINK_COST);
  });

  it('never exceeds MAX_LINK_COST with every penalty at once, and stays a multiple of COST_STEP', () => {
    expect(linkCost({ rttMs: 1e300, phi: 100, lossRatio: 1, avoided: true })).toBe(MAX_LINK_COST);
    // An hour's round trip with every penalty: 960 + 32 × log2(360,001) + 192 + 1,536 ≈ 3,278, still below the ceiling.
    expect(linkCost({ rttMs: 3_600_000, phi: 1, lossRatio: 0.9, avoided: true })).toBe(3_280);
    for (let lossRatio = 0; lossRatio <= 1; lossRatio += 0.037) {
      const cost = linkCost({ rttMs: 3, lossRatio, avoided: lossRatio > 0.5 });
      expect(cost % COST_STEP).toBe(0);
      expect(cost).toBeLessThanOrEqual(MAX_LINK_COST);
    }
  });
});
