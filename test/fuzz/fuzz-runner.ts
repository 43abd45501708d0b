/**
 * Runs fuzz targets with fast-check and reports each as one JSON line: cases, seconds, cases per
 * second and the cases by outcome, or the failure with what replays it (seed, path,
 * counterexample, the finding).
 */
import fc from 'fast-check';
import type { FuzzSuite, FuzzTarget } from './fuzz-target.js';

export interface RunOptions {
  runs: number;
  seed: number;
  /** fast-check's replay path of a failure (from an earlier report). */
  path?: string;
}

export type TargetReport =
  | { suite: string; target: string; cases: number; seconds: number; casesPerSecond: number; seed: number; outcomes: Record<string, number> }
  | { suite: string; target: string; failed: true; seed: number; path: string; counterexample: string; error: string; replay: string };

export async function runTarget(suite: string, target: FuzzTarget, options: RunOptions): Promise<TargetReport> {
  const started = performance.now();
  const result = await fc.check(target.property, { numRuns: options.runs, seed: options.seed, ...(options.path !== undefined ? { path: options.path } : {}) });
  const seconds = (performance.now() - started) / 1000;
  if (result.failed) {
    const path = result.counterexamplePath ?? '';
    const error = result.errorInstance instanceof Error ? `${result.errorInstance.name}: ${result.errorInstance.message}` : String(result.errorInstance);
    return {
      suite,
      target: target.name,
      failed: true,
      seed: result.seed,
      path,
      counterexample: result.counterexample ? target.show(result.counterexample[0]) : '(none)',
      error,
      replay: `npm run fuzz -- ${suite} --target ${target.name} --seed ${result.seed} --path ${path}`,
    };
  }
  const outcomes = Object.fromEntries([...target.outcomes].sort((a, b) => b[1] - a[1]));
  return { suite, target: target.name, cases: result.numRuns, seconds: Math.round(seconds * 10) / 10, casesPerSecond: Math.round(result.numRuns / Math.max(seconds, 1e-3)), seed: options.seed, outcomes };
}

/** Runs a built suite's targets (all, or the one named), closing it after; stops at the first failure. */
export async function runSuite(suite: string, built: FuzzSuite, options: RunOptions & { only?: string }, report: (line: TargetReport) => void): Promise<boolean> {
  try {
    for (const target of built.targets) {
      if (options.only !== undefined && target.name !== options.only) continue;
      const line = await runTarget(suite, target, options);
      report(line);
      if ('failed' in line) return false;
    }
    return true;
  } finally {
    await built.close();
  }
}
