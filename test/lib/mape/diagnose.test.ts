import { describe, expect, it } from 'vitest';
import type { DetectedAnomaly } from '../../../lib/mape/detector.js';
import { diagnose } from '../../../lib/mape/diagnose.js';

const ranks: Record<string, number> = { 'threshold:hung': 0, 'threshold:busy': 5, 'threshold:deep': 4 };
const rankOf = (anomaly: DetectedAnomaly) => ranks[anomaly.detector] ?? 99;

function anomaly(detector: string, source: string, extra: Partial<DetectedAnomaly> = {}): DetectedAnomaly {
  return { detector, metric: 'actor.elu', source, value: 1, severity: 0.6, at: 10, ...extra };
}

describe('diagnose', () => {
  it('names the most specific cause per source (lowest rank)', () => {
    const found = diagnose(
      [
        anomaly('threshold:busy', 'a', { cause: 'cpu-hog', confidence: 0.75 }),
        anomaly('threshold:hung', 'a', { cause: 'hung-actor', confidence: 0.9, metric: 'actor.unresponsive' }),
        anomaly('threshold:deep', 'b', { cause: 'mailbox-flood', confidence: 0.8, metric: 'actor.mailbox_depth' }),
      ],
      rankOf,
    );
    expect(found.map(({ cause, target, resource }) => ({ cause, target, resource }))).toEqual([
      { cause: 'hung-actor', target: 'a', resource: 'thread' },
      { cause: 'mailbox-flood', target: 'b', resource: 'mailbox' },
    ]);
  });

  it('raises confidence by corroborating statistical anomalies on distinct metrics, never to certainty', () => {
    const base = anomaly('threshold:busy', 'a', { cause: 'cpu-hog', confidence: 0.75 });
    const corroborated = diagnose(
      [base, anomaly('robust-z', 'a'), anomaly('ewma', 'a'), anomaly('robust-z', 'a', { metric: 'actor.probe_ms' })],
      rankOf,
    );
    expect(corroborated[0]!.confidence).toBeCloseTo(0.85);
    const many = Array.from({ length: 20 }, (_, i) => anomaly('robust-z', 'a', { metric: `m${i}` as never }));
    expect(diagnose([{ ...base, confidence: 0.95 }, ...many], rankOf)[0]!.confidence).toBe(0.99);
  });

  it('opens nothing from statistical anomalies alone', () => {
    expect(diagnose([anomaly('robust-z', 'a'), anomaly('ewma', 'a')], rankOf)).toEqual([]);
  });

  it('lists the evidence per metric with every detector that flagged it', () => {
    const [candidate] = diagnose([anomaly('threshold:busy', 'a', { cause: 'cpu-hog', confidence: 0.75 }), anomaly('ewma', 'a')], rankOf);
    expect(candidate!.evidence).toEqual([{ metric: 'actor.elu', source: 'a', value: 1, detectors: ['threshold:busy', 'ewma'] }]);
  });
});
