/**
 * The regression check: a run's figures against perf/baseline.json, a stored earlier run. A
 * figure regresses when it is worse than the baseline's value by more than its tolerance (for
 * `lower`: above value × (1 + t); for `higher`: below value × (1 − t)), and a tolerance never
 * reaches past the figure's target: where perf/targets.json has a target for the same figure and
 * field, the limit is clamped to it. A suite's run is compared only when it started after the
 * baseline's run of that suite; otherwise (it is the baseline's own run, an older one, or one that
 * does not say when it started) the suite is reported as not compared, never as passing.
 */
import { basename } from 'node:path';
import type { Baseline, BaselineEntry } from './baseline.js';
import type { Run } from './results-file.js';
import { fieldOf, findFigure } from './target-check.js';
import { targetKey, type Target } from './targets.js';

export interface RegressionVerdict {
  entry: BaselineEntry;
  /** Undefined when the run lacks the figure. */
  actual: number | undefined;
  limit: number;
  /** The target the limit was clamped to, if any. */
  clampedTo?: Target;
  ok: boolean;
}

export interface RegressionReport {
  verdicts: RegressionVerdict[];
  /** Suites whose run was not compared, and why. */
  notCompared: { suite: string; why: string }[];
}

/** The limit a baseline entry allows, clamped to the target of the same figure and field. */
export function limitOf(entry: BaselineEntry, targets: readonly Target[]): { limit: number; clampedTo?: Target } {
  const loose = entry.better === 'lower' ? entry.value * (1 + entry.tolerance) : entry.value * (1 - entry.tolerance);
  const target = targets.find((candidate) => targetKey(candidate) === targetKey(entry));
  if (target?.comparison === '<=' && entry.better === 'lower' && loose > target.limit) return { limit: target.limit, clampedTo: target };
  if (target?.comparison === '>=' && entry.better === 'higher' && loose < target.limit) return { limit: target.limit, clampedTo: target };
  return { limit: loose };
}

function whyNotCompared(run: Run, baselineStart: string): string | undefined {
  const file = basename(run.file);
  if (run.startedAt === null) return `${file} does not say when it ran, so it cannot be shown to be later than the baseline's run (${baselineStart})`;
  const at = Date.parse(run.startedAt);
  const base = Date.parse(baselineStart);
  if (at === base) return `${file} is the baseline's own run (${baselineStart}): a run is not checked against itself`;
  if (at < base) return `${file} (${run.startedAt}) is older than the baseline's run (${baselineStart})`;
  return undefined;
}

export function checkRegressions(baseline: Baseline, targets: readonly Target[], runs: ReadonlyMap<string, Run>): RegressionReport {
  const report: RegressionReport = { verdicts: [], notCompared: [] };
  for (const [suite, baseRun] of Object.entries(baseline.runs)) {
    const run = runs.get(suite);
    if (!run) continue;
    const why = whyNotCompared(run, baseRun.startedAt);
    if (why) {
      report.notCompared.push({ suite, why });
      continue;
    }
    for (const entry of baseline.figures.filter((candidate) => candidate.suite === suite)) {
      const actual = fieldOf(findFigure(run.figures, suite, entry.name), entry.field);
      const { limit, clampedTo } = limitOf(entry, targets);
      const ok = actual !== undefined && (entry.better === 'lower' ? actual <= limit : actual >= limit);
      report.verdicts.push({ entry, actual, limit, ok, ...(clampedTo ? { clampedTo } : {}) });
    }
  }
  return report;
}

export function describeRegression(verdict: RegressionVerdict): string {
  const { entry } = verdict;
  const label = `${entry.suite}/${entry.name} ${entry.field}`;
  if (verdict.actual === undefined) return `MISSING  ${label}: not in the run`;
  const relation = entry.better === 'lower' ? '≤' : '≥';
  const limit = Number(verdict.limit.toPrecision(4));
  const bound = verdict.clampedTo ? `the target, ${limit} (baseline ${entry.value} ± ${entry.tolerance * 100}% would allow more)` : `${limit} (baseline ${entry.value}, tolerance ${entry.tolerance * 100}%)`;
  return `${verdict.ok ? 'ok      ' : 'REGRESSED'} ${label} ${verdict.actual}: must be ${relation} ${bound}`;
}
