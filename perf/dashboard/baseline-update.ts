/**
 * Moves the regression baseline to later runs: for each suite results file given, the baseline's
 * run of that suite becomes that file (its start and commit), and every guarded figure of the
 * suite takes the value that run measured. Which figures are guarded, which way is better and
 * their tolerances stay as they are. Only a full run can be a baseline, and only one that says
 * when it ran (a later check must be able to tell it is later).
 */
import { relative } from 'node:path';
import type { Baseline } from './baseline.js';
import { DashboardInputError } from './json-file.js';
import type { Run } from './results-file.js';
import { fieldOf, findFigure } from './target-check.js';

export function baselineFrom(baseline: Baseline, runs: readonly { suite: string; run: Run }[], repoRoot: string): Baseline {
  const updated: Baseline = { ...baseline, runs: { ...baseline.runs }, figures: baseline.figures.map((entry) => ({ ...entry })) };
  for (const { suite, run } of runs) {
    if (run.quick !== false) throw new DashboardInputError(run.file, 'is not a full run (a --quick run, or one that does not say): a baseline is a full run');
    if (run.startedAt === null) throw new DashboardInputError(run.file, 'does not say when it ran');
    updated.runs[suite] = { results: relative(repoRoot, run.file), startedAt: run.startedAt, commit: run.commit };
    for (const entry of updated.figures.filter((candidate) => candidate.suite === suite)) {
      const value = fieldOf(findFigure(run.figures, suite, entry.name), entry.field);
      if (value === undefined) throw new DashboardInputError(run.file, `lacks ${entry.name} ${entry.field}, which the baseline guards`);
      entry.value = value;
    }
  }
  return updated;
}
