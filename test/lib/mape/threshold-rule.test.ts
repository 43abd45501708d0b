import { describe, expect, it } from 'vitest';
import { InvalidRuleError, parseThresholdRule, thresholdDetector, type ThresholdRule } from '../../../lib/mape/threshold-rule.js';
import type { TelemetryWindow } from '../../../lib/mape/telemetry.js';

const valid = { id: 'busy', metric: 'actor.elu', op: '>=', threshold: 0.8, consecutive: 2, cause: 'cpu-hog', confidence: 0.75, rank: 5 };

function window(at: number, points: Array<[string, string, number]>): TelemetryWindow {
  return { at, intervalMs: 1000, points: points.map(([metric, source, value]) => ({ metric, source, value })) as TelemetryWindow['points'] };
}

describe('parseThresholdRule', () => {
  it('accepts a well-formed row, with or without a second condition', () => {
    expect(parseThresholdRule(valid)).toMatchObject({ id: 'busy', metric: 'actor.elu', consecutive: 2 });
    expect(parseThresholdRule({ ...valid, andMetric: 'actor.mailbox_depth', andOp: '<=', andThreshold: 200 }).and).toEqual({
      metric: 'actor.mailbox_depth',
      op: '<=',
      threshold: 200,
    });
  });

  it.each([
    ['an unknown metric', { metric: 'actor.vibes' }, /unknown metric/],
    ['a bad op', { op: '>' }, /op must be/],
    ['a non-finite threshold', { threshold: Number.POSITIVE_INFINITY }, /threshold/],
    ['a zero streak', { consecutive: 0 }, /consecutive/],
    ['a fractional streak', { consecutive: 1.5 }, /consecutive/],
    ['an unknown cause', { cause: 'gremlins' }, /unknown cause/],
    ['a confidence of 0', { confidence: 0 }, /confidence/],
    ['a confidence above 1', { confidence: 1.5 }, /confidence/],
    ['a non-integer rank', { rank: 'first' }, /rank/],
    ['a second op without a metric', { andOp: '<=' }, /without a second metric/],
    ['an unknown second metric', { andMetric: 'nope', andOp: '<=', andThreshold: 1 }, /second metric/],
    ['a bad second op', { andMetric: 'actor.elu', andOp: '==', andThreshold: 1 }, /second op/],
  ])('refuses %s with InvalidRuleError', (_name, change, message) => {
    const attempt = () => parseThresholdRule({ ...valid, ...change });
    expect(attempt).toThrow(InvalidRuleError);
    expect(attempt).toThrow(message);
  });
});

describe('thresholdDetector', () => {
  const rule = parseThresholdRule(valid) as ThresholdRule;
  const detector = thresholdDetector([rule]);

  it('fires only after the streak, per source, and a miss resets the streak', () => {
    let state = detector.initial();
    const step = (at: number, value: number, source = 'a') => {
      const result = detector.observe(state, window(at, [['actor.elu', source, value]]));
      state = result.state;
      return result.anomalies;
    };
    expect(step(1, 0.9)).toEqual([]);
    expect(step(2, 0.9)).toEqual([expect.objectContaining({ source: 'a', cause: 'cpu-hog', confidence: 0.75, at: 2, detector: 'threshold:busy' })]);
    expect(step(3, 0.1)).toEqual([]);
    expect(step(4, 0.95)).toEqual([]);
    expect(step(5, 0.95, 'b')).toEqual([]);
  });

  it('needs the second condition to hold on the same source in the same window', () => {
    const guarded = thresholdDetector([{ ...rule, consecutive: 1, and: { metric: 'actor.mailbox_depth', op: '<=', threshold: 200 } }]);
    const busyIdle = window(1, [['actor.elu', 'a', 0.9], ['actor.mailbox_depth', 'a', 10]]);
    const busyBacklogged = window(1, [['actor.elu', 'a', 0.9], ['actor.mailbox_depth', 'a', 5000]]);
    const otherSource = window(1, [['actor.elu', 'a', 0.9], ['actor.mailbox_depth', 'b', 10]]);
    expect(guarded.observe({}, busyIdle).anomalies).toHaveLength(1);
    expect(guarded.observe({}, busyBacklogged).anomalies).toHaveLength(0);
    expect(guarded.observe({}, otherSource).anomalies).toHaveLength(0);
  });

  it('rates severity from 0.5 at the threshold towards 1 at ten times it', () => {
    const once = thresholdDetector([{ ...rule, consecutive: 1, threshold: 100, metric: 'actor.mailbox_depth' }]);
    const severity = (value: number) => once.observe({}, window(1, [['actor.mailbox_depth', 'a', value]])).anomalies[0]!.severity;
    expect(severity(100)).toBeCloseTo(0.5);
    expect(severity(1000)).toBeCloseTo(1);
    expect(severity(316)).toBeGreaterThan(0.7);
  });
});
