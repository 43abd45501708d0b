/**
 * Threshold rules, kept in the knowledge base (table detector_rules) so an operator tunes them
 * without a release: "metric op threshold for `consecutive` windows in a row means `cause`".
 * Actor-exit events (windows with intervalMs 0) count like any window, so a crash loop is seen
 * at the second crash on the same message, not a sampling interval later.
 */
import { isCauseKind, type CauseKind } from './causes.js';
import { seriesKey, type DetectedAnomaly, type Detector } from './detector.js';
import { isMetricName, type MetricName } from './metrics.js';
import { pointValue, type TelemetryWindow } from './telemetry.js';

export interface ThresholdRule {
  id: string;
  metric: MetricName;
  op: '>=' | '<=';
  threshold: number;
  /** Windows in a row that must match. */
  consecutive: number;
  cause: CauseKind;
  /** 0..1: how sure a match alone makes the diagnosis. */
  confidence: number;
  /** Among causes matched on one source in one window, the lowest rank wins (the most specific symptom). */
  rank: number;
  /** A second condition on the same source in the same window; both must hold. */
  and?: { metric: MetricName; op: '>=' | '<='; threshold: number };
}

export class InvalidRuleError extends Error {
  override readonly name = 'InvalidRuleError';
  constructor(
    readonly ruleId: string,
    readonly reason: string,
  ) {
    super(`detector rule '${ruleId}' is invalid: ${reason}`);
  }
}

/** Checks a rule as it comes out of the store; a corrupted row is reported and skipped by the caller. */
export function parseThresholdRule(raw: Record<string, unknown>): ThresholdRule {
  const id = typeof raw.id === 'string' || typeof raw.id === 'number' ? String(raw.id) : '?';
  const fail = (reason: string): never => {
    throw new InvalidRuleError(id, reason);
  };
  if (typeof raw.metric !== 'string' || !isMetricName(raw.metric)) fail(`unknown metric ${JSON.stringify(raw.metric)}`);
  if (raw.op !== '>=' && raw.op !== '<=') fail(`op must be '>=' or '<=', is ${JSON.stringify(raw.op)}`);
  if (typeof raw.threshold !== 'number' || !Number.isFinite(raw.threshold)) fail('threshold must be a finite number');
  if (!Number.isInteger(raw.consecutive) || (raw.consecutive as number) < 1) fail('consecutive must be an integer >= 1');
  if (!isCauseKind(raw.cause)) fail(`unknown cause ${JSON.stringify(raw.cause)}`);
  const confidence = raw.confidence;
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence <= 1)) fail('confidence must be in (0, 1]');
  if (!Number.isInteger(raw.rank)) fail('rank must be an integer');
  let and: ThresholdRule['and'];
  if (raw.andMetric !== null && raw.andMetric !== undefined) {
    if (typeof raw.andMetric !== 'string' || !isMetricName(raw.andMetric)) fail(`unknown second metric ${JSON.stringify(raw.andMetric)}`);
    if (raw.andOp !== '>=' && raw.andOp !== '<=') fail(`the second op must be '>=' or '<=', is ${JSON.stringify(raw.andOp)}`);
    if (typeof raw.andThreshold !== 'number' || !Number.isFinite(raw.andThreshold)) fail('the second threshold must be a finite number');
    and = { metric: raw.andMetric as MetricName, op: raw.andOp as '>=' | '<=', threshold: raw.andThreshold as number };
  } else if ((raw.andOp ?? null) !== null || (raw.andThreshold ?? null) !== null) {
    fail('a second op or threshold without a second metric');
  }
  return {
    ...(and ? { and } : {}),
    id,
    metric: raw.metric as MetricName,
    op: raw.op as '>=' | '<=',
    threshold: raw.threshold as number,
    consecutive: raw.consecutive as number,
    cause: raw.cause as CauseKind,
    confidence: confidence as number,
    rank: raw.rank as number,
  };
}

/** Matches in a row per rule and source. */
export type ThresholdState = Record<string, number>;

export function thresholdDetector(rules: readonly ThresholdRule[]): Detector<ThresholdState> {
  return {
    id: 'threshold',
    initial: () => ({}),
    observe(state, window: TelemetryWindow) {
      const next: ThresholdState = { ...state };
      const anomalies: DetectedAnomaly[] = [];
      for (const rule of rules) {
        for (const point of window.points) {
          if (point.metric !== rule.metric) continue;
          const key = seriesKey(rule.id, point.source);
          const matches = compare(point.value, rule.op, rule.threshold) && secondHolds(rule, window, point.source);
          if (!matches) {
            delete next[key];
            continue;
          }
          const streak = (next[key] ?? 0) + 1;
          next[key] = streak;
          if (streak < rule.consecutive) continue;
          anomalies.push({
            detector: `threshold:${rule.id}`,
            metric: rule.metric,
            source: point.source,
            value: point.value,
            severity: severityOf(point.value, rule.threshold),
            at: window.at,
            cause: rule.cause,
            confidence: rule.confidence,
          });
        }
      }
      return { state: next, anomalies };
    },
  };
}

function compare(value: number, op: '>=' | '<=', threshold: number): boolean {
  return op === '>=' ? value >= threshold : value <= threshold;
}

/** The rule's second condition: true without one; false when the window lacks its metric for the source. */
function secondHolds(rule: ThresholdRule, window: TelemetryWindow, source: string): boolean {
  if (!rule.and) return true;
  const { metric, op, threshold } = rule.and;
  const value = pointValue(window, metric, source);
  return value !== undefined && compare(value, op, threshold);
}

/** How far past its threshold a value is: 0.5 at the threshold, towards 1 at ten times it. */
function severityOf(value: number, threshold: number): number {
  if (threshold === 0) return value === 0 ? 0.5 : 1;
  const ratio = Math.abs(value / threshold);
  return Math.min(1, 0.5 + 0.5 * Math.min(1, Math.log10(Math.max(1, ratio))));
}
