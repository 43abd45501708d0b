/**
 * Exponentially weighted moving average and variance (West's incremental form): flags a value
 * more than `k` standard deviations from the running mean. Reacts to a level shift within one
 * window, where the robust z-score needs its window to turn over; the two corroborate each other.
 */
import { seriesKey, type DetectedAnomaly, type Detector } from './detector.js';
import type { MetricName } from './metrics.js';

export interface EwmaOptions {
  metrics: readonly MetricName[];
  /** Weight of the newest value (0..1). */
  alpha: number;
  k: number;
  minSamples: number;
  /** Smallest standard deviation used, per metric, in the metric's unit. */
  minSd: Partial<Record<MetricName, number>>;
}

export interface EwmaSeries {
  mean: number;
  variance: number;
  n: number;
}

export type EwmaState = Record<string, EwmaSeries>;

export function ewmaDetector(options: EwmaOptions): Detector<EwmaState> {
  const watched = new Set<string>(options.metrics);
  return {
    id: 'ewma',
    initial: () => ({}),
    observe(state, window) {
      const next: EwmaState = { ...state };
      const anomalies: DetectedAnomaly[] = [];
      for (const point of window.points) {
        if (!watched.has(point.metric)) continue;
        const key = seriesKey(point.metric, point.source);
        const series = next[key];
        if (series === undefined) {
          next[key] = { mean: point.value, variance: 0, n: 1 };
          continue;
        }
        const deviation = point.value - series.mean;
        const sd = Math.max(Math.sqrt(series.variance), options.minSd[point.metric] ?? Number.MIN_VALUE);
        if (series.n >= options.minSamples && Math.abs(deviation) >= options.k * sd) {
          anomalies.push({
            detector: 'ewma',
            metric: point.metric,
            source: point.source,
            value: point.value,
            severity: Math.min(1, Math.abs(deviation) / (2 * options.k * sd)),
            at: window.at,
          });
        }
        const increment = options.alpha * deviation;
        next[key] = {
          mean: series.mean + increment,
          variance: (1 - options.alpha) * (series.variance + deviation * increment),
          n: series.n + 1,
        };
      }
      return { state: next, anomalies };
    },
  };
}
