/**
 * Robust z-score over a rolling window: (x − median) / (1.4826 · MAD). Median and MAD ignore
 * the outliers they are looking for, where mean and standard deviation would be dragged by them.
 * A flat series (MAD 0) is compared with a floor, so one jitter on a constant series is not
 * an infinite z.
 */
import { seriesKey, type DetectedAnomaly, type Detector } from './detector.js';
import type { MetricName } from './metrics.js';

export interface RobustZOptions {
  metrics: readonly MetricName[];
  /** Values kept per series. */
  windowSize: number;
  /** No verdict before this many values: a new series has no baseline. */
  minSamples: number;
  /** |z| at or above this is an anomaly. */
  threshold: number;
  /** Smallest scale used, in the metric's unit, per metric: below it a change is noise. */
  minScale: Partial<Record<MetricName, number>>;
}

/** Consistency constant: makes the MAD estimate the standard deviation of a normal distribution. */
const MAD_TO_SD = 1.4826;

export type RobustZState = Record<string, number[]>;

export function robustZDetector(options: RobustZOptions): Detector<RobustZState> {
  const watched = new Set<string>(options.metrics);
  return {
    id: 'robust-z',
    initial: () => ({}),
    observe(state, window) {
      const next: RobustZState = { ...state };
      const anomalies: DetectedAnomaly[] = [];
      for (const point of window.points) {
        if (!watched.has(point.metric)) continue;
        const key = seriesKey(point.metric, point.source);
        const history = next[key] ?? [];
        if (history.length >= options.minSamples) {
          const median = medianOf(history);
          const mad = medianOf(history.map((value) => Math.abs(value - median)));
          const scale = Math.max(MAD_TO_SD * mad, options.minScale[point.metric] ?? Number.MIN_VALUE);
          const z = (point.value - median) / scale;
          if (Math.abs(z) >= options.threshold) {
            anomalies.push({
              detector: 'robust-z',
              metric: point.metric,
              source: point.source,
              value: point.value,
              severity: Math.min(1, Math.abs(z) / (2 * options.threshold)),
              at: window.at,
            });
          }
        }
        const grown = [...history, point.value];
        next[key] = grown.length > options.windowSize ? grown.slice(grown.length - options.windowSize) : grown;
      }
      return { state: next, anomalies };
    },
  };
}

export function medianOf(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
