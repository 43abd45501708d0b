/**
 * Figures and their statistics. A figure is one JSON line on stdout:
 * `{"suite","name","unit","n","median","p99", ...extra}`; everything else (progress, warnings)
 * goes to stderr, so `node dist/perf/run.js bus > out.jsonl` keeps only figures.
 */
export interface Figure {
  suite: string;
  name: string;
  unit: string;
  /** Number of samples the median and p99 are taken over (runs for throughputs, events for latencies). */
  n: number;
  median: number;
  p99: number;
  [extra: string]: unknown;
}

export interface Summary {
  n: number;
  median: number;
  p99: number;
  min: number;
  max: number;
}

/**
 * Nearest-rank percentile (0 < q ≤ 1) of a sorted array: the smallest value with at least
 * q of the samples at or below it. With fewer than 100 samples, p99 is the maximum.
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

/** Median: the mean of the two middle values for an even count. */
export function median(sorted: readonly number[]): number {
  if (sorted.length === 0) throw new RangeError('median of no samples');
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, median: median(sorted), p99: percentile(sorted, 0.99), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Rounds for display in JSON: 4 significant digits are more than the run-to-run noise. */
export function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, 3 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(Math.min(digits, 6)));
}

/** Builds a figure from samples; `min`/`max` are always included as extra fields. */
export function figure(suite: string, name: string, unit: string, samples: readonly number[], extra: Record<string, unknown> = {}): Figure {
  const s = summarize(samples);
  return { suite, name, unit, n: s.n, median: round(s.median), p99: round(s.p99), min: round(s.min), max: round(s.max), ...extra };
}

/** Collects a suite's figures, printing each as soon as it is measured. */
export class FigureSink {
  readonly figures: Figure[] = [];

  emit(value: Figure): Figure {
    this.figures.push(value);
    process.stdout.write(`${JSON.stringify(value)}\n`);
    return value;
  }
}

/** Human progress: stderr only. */
export function progress(message: string): void {
  process.stderr.write(`[perf] ${message}\n`);
}
