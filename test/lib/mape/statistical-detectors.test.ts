import { describe, expect, it } from 'vitest';
import { ewmaDetector } from '../../../lib/mape/ewma.js';
import { medianOf, robustZDetector } from '../../../lib/mape/robust-z.js';
import type { Detector } from '../../../lib/mape/detector.js';
import type { TelemetryWindow } from '../../../lib/mape/telemetry.js';
import { seededRandom } from '../../../lib/timing/seeded-random.js';

const windowOf = (at: number, value: number): TelemetryWindow => ({
  at,
  intervalMs: 1000,
  points: [{ metric: 'actor.probe_ms', source: 'a', value }],
});

/** The project's seeded generator, so the noise is the same on every run. */
const noise = seededRandom;

function run<S>(detector: Detector<S>, values: number[]) {
  let state = detector.initial();
  const flagged: number[] = [];
  values.forEach((value, index) => {
    const result = detector.observe(state, windowOf(index, value));
    state = result.state;
    if (result.anomalies.length > 0) flagged.push(index);
  });
  return flagged;
}

const detectors: Record<string, Detector<unknown>> = {
  'robust z-score': robustZDetector({ metrics: ['actor.probe_ms'], windowSize: 30, minSamples: 10, threshold: 6, minScale: { 'actor.probe_ms': 1 } }) as Detector<unknown>,
  EWMA: ewmaDetector({ metrics: ['actor.probe_ms'], alpha: 0.2, k: 6, minSamples: 10, minSd: { 'actor.probe_ms': 1 } }) as Detector<unknown>,
};

describe.each(Object.entries(detectors))('%s detector', (_name, detector) => {
  const random = noise(7);
  const quiet = Array.from({ length: 200 }, () => 2 + random());

  it('stays silent on noise around a steady level', () => {
    expect(run(detector, quiet)).toEqual([]);
  });

  it('flags a step far outside the noise, at once', () => {
    const values = [...quiet.slice(0, 40), 60, ...quiet.slice(40, 60)];
    expect(run(detector, values)).toContain(40);
  });

  it('gives no verdict before it has a baseline', () => {
    expect(run(detector, [1, 1, 500])).toEqual([]);
  });

  it('ignores metrics it does not watch', () => {
    const window: TelemetryWindow = { at: 0, intervalMs: 1000, points: [{ metric: 'actor.elu', source: 'a', value: 1 }] };
    expect(detector.observe(detector.initial(), window).state).toEqual({});
  });
});

describe('medianOf', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(medianOf([3, 1, 2])).toBe(2);
    expect(medianOf([4, 1, 3, 2])).toBe(2.5);
    expect(medianOf([])).toBeNaN();
  });
});
