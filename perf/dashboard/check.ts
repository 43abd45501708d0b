/**
 * The regression check: a run's figures against perf/baseline.json. A figure regresses when it is
 * worse than the baseline value by more than its tolerance (for `lower`: above value × (1 + t);
 * for `higher`: below value × (1 − t)). A guarded figure missing from the run is reported too,
 * unless the run did not include its suite.
 */
import type { Figure } from '../stats.js';
import type { Baseline, BaselineEntry } from './baseline.js';

export interface Verdict {
  entry: BaselineEntry;
  /** Undefined when the run lacks the figure. */
  actual: number | undefined;
  limit: number;
  ok: boolean;
}

export function limitOf(entry: BaselineEntry): number {
  return entry.better === 'lower' ? entry.value * (1 + entry.tolerance) : entry.value * (1 - entry.tolerance);
}

export function checkFigures(baseline: Baseline, figures: readonly Figure[], options: { quickOnly?: boolean } = {}): Verdict[] {
  const suites = new Set(figures.map((figure) => figure.suite));
  return baseline.figures
    .filter((entry) => suites.has(entry.suite) && (!options.quickOnly || entry.quick))
    .map((entry) => {
      const figure = figures.find((candidate) => candidate.suite === entry.suite && candidate.name === entry.name) as (Figure & Record<string, unknown>) | undefined;
      const raw = figure?.[entry.field];
      const actual = typeof raw === 'number' && Number.isFinite(raw) ? raw : undefined;
      const limit = limitOf(entry);
      const ok = actual !== undefined && (entry.better === 'lower' ? actual <= limit : actual >= limit);
      return { entry, actual, limit, ok };
    });
}

export function describeVerdict(verdict: Verdict): string {
  const { entry } = verdict;
  const label = `${entry.suite}/${entry.name} ${entry.field}`;
  if (verdict.actual === undefined) return `${label}: missing from the run`;
  const relation = entry.better === 'lower' ? '≤' : '≥';
  return `${label}: ${verdict.actual} (${verdict.ok ? 'ok' : 'REGRESSED'}; must be ${relation} ${Number(verdict.limit.toPrecision(4))}, baseline ${entry.value}, tolerance ${entry.tolerance * 100}%)`;
}
