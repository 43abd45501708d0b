/**
 * The phi-accrual detector against the normal distribution it approximates: phi at the mean is
 * -log10(1/2), at one to three deviations past it within 2 % of the exact normal tail's; it grows
 * monotonically with the silence; it follows a change of rhythm within its window; the least
 * deviation and the acceptable pause hold it down; a reset forgets everything; and the silence
 * it reports for a threshold is the one at which phi reaches it.
 */
import { describe, expect, it } from 'vitest';
import { PhiAccrualDetector, type PhiAccrualOptions } from '../../../lib/mesh/phi-accrual.js';

const OPTIONS: PhiAccrualOptions = { windowSize: 100, minStdDevMs: 10, acceptablePauseMs: 0, firstIntervalMs: 100 };

/** Heartbeats every `intervals[i]` ms from 0; returns the detector and the time of the last one. */
function fed(intervals: number[], options: Partial<PhiAccrualOptions> = {}): { detector: PhiAccrualDetector; last: number } {
  const detector = new PhiAccrualDetector({ ...OPTIONS, ...options });
  let at = 0;
  detector.heartbeat(at);
  for (const interval of intervals) detector.heartbeat((at += interval));
  return { detector, last: at };
}

/** -log10 of the normal upper tail at `y` deviations, from the series of erfc (exact enough for y in 0..6). */
function normalPhi(y: number): number {
  // Abramowitz and Stegun 7.1.26 for erfc, then the tail is erfc(y / sqrt 2) / 2.
  const x = y / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return -Math.log10(erfc / 2);
}

describe('phi-accrual detector', () => {
  it('is 0 before any heartbeat, and -log10(1/2) at the mean interval', () => {
    const detector = new PhiAccrualDetector(OPTIONS);
    expect(detector.phi(1_000_000)).toBe(0);
    const { detector: steady, last } = fed(Array.from({ length: 50 }, (_, index) => (index % 2 === 0 ? 80 : 120)));
    expect(steady.mean).toBeCloseTo(100, 0);
    expect(steady.phi(last + steady.mean)).toBeCloseTo(Math.log10(2), 6);
  });

  it('matches the normal tail within 2 % at 1 to 3 deviations past the mean, and errs on the suspicious side beyond', () => {
    const { detector, last } = fed(Array.from({ length: 100 }, (_, index) => (index % 2 === 0 ? 70 : 130)));
    const sigma = detector.stdDev;
    expect(sigma).toBeCloseTo(30, 0);
    for (const y of [1, 2, 3]) {
      const phi = detector.phi(last + detector.mean + y * sigma);
      expect(Math.abs(phi - normalPhi(y)) / normalPhi(y), `at ${y} deviations`).toBeLessThan(0.02);
    }
    // The logistic approximation's tail is thinner than the normal's: phi a little higher, so a silence that long is declared a little sooner.
    for (const y of [4, 5]) {
      const phi = detector.phi(last + detector.mean + y * sigma);
      expect(phi).toBeGreaterThan(normalPhi(y));
      expect(phi / normalPhi(y), `at ${y} deviations`).toBeLessThan(1.15);
    }
  });

  it('grows monotonically with the silence', () => {
    const { detector, last } = fed(Array.from({ length: 30 }, () => 100));
    let previous = -1;
    for (let silence = 0; silence <= 400; silence += 5) {
      const phi = detector.phi(last + silence);
      expect(phi).toBeGreaterThanOrEqual(previous);
      previous = phi;
    }
    // Long past any heartbeat phi is large, and finite (status carries it as JSON).
    expect(previous).toBeGreaterThan(100);
    expect(Number.isFinite(detector.phi(last + 1e9))).toBe(true);
  });

  it('holds phi down with the least deviation and the acceptable pause', () => {
    // A window of 10 equal intervals (the seeded ones slid out): without a least deviation, 1 ms late would be a certainty.
    const clockwork = fed(Array.from({ length: 30 }, () => 100), { windowSize: 10 });
    expect(clockwork.detector.stdDev).toBe(0);
    expect(clockwork.detector.phi(clockwork.last + 105)).toBeLessThan(1);
    const paused = fed(Array.from({ length: 30 }, () => 100), { windowSize: 10, acceptablePauseMs: 200 });
    expect(paused.detector.phi(paused.last + 250)).toBeLessThan(1);
    expect(clockwork.detector.phi(clockwork.last + 250)).toBeGreaterThan(8);
  });

  it('follows a change of rhythm within its window', () => {
    const { detector } = fed([...Array.from({ length: 10 }, () => 100), ...Array.from({ length: 10 }, () => 500)], { windowSize: 10 });
    expect(detector.mean).toBe(500);
  });

  it('forgets the rhythm on reset', () => {
    const { detector, last } = fed(Array.from({ length: 10 }, () => 100));
    expect(detector.phi(last + 1_000)).toBeGreaterThan(8);
    detector.reset();
    expect(detector.phi(last + 1_000)).toBe(0);
    detector.heartbeat(last + 1_000);
    expect(detector.mean).toBe(OPTIONS.firstIntervalMs);
  });

  it('gives the silence at which phi reaches a threshold', () => {
    const { detector, last } = fed(Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? 90 : 110)));
    for (const threshold of [1, 3, 8, 12]) {
      const silence = detector.silenceForPhi(threshold);
      expect(detector.phi(last + silence)).toBeCloseTo(threshold, 3);
    }
  });

  it('refuses options under which phi means nothing', () => {
    expect(() => new PhiAccrualDetector({ ...OPTIONS, windowSize: 1 })).toThrow(RangeError);
    expect(() => new PhiAccrualDetector({ ...OPTIONS, minStdDevMs: 0 })).toThrow(RangeError);
  });
});
