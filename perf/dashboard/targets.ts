/**
 * perf/targets.json: every figure an issue gave a target, as data: which figure (suite, name),
 * which of its statistics (field), the comparison and limit, the unit, the issue it comes from
 * and why. `bench:check` judges a full run against every one of them, whatever the regression
 * baseline says, and the README's table shows each beside its figure.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readJsonFile } from './json-file.js';

export const TARGETS_PATH = fileURLToPath(new URL('../../../perf/targets.json', import.meta.url));

/** The statistics of a figure a target or a limit can name (perf/stats.ts writes them all). */
export const figureFieldSchema = z.enum(['median', 'p99', 'ratio', 'min', 'max']);
export type FigureField = z.infer<typeof figureFieldSchema>;

export const comparisonSchema = z.enum(['<=', '>=']);
export type Comparison = z.infer<typeof comparisonSchema>;

const targetSchema = z.strictObject({
  suite: z.string().min(1),
  name: z.string().min(1),
  field: figureFieldSchema,
  comparison: comparisonSchema,
  limit: z.number().finite(),
  unit: z.string().min(1),
  /** The issue that set it, e.g. "issue 2". */
  source: z.string().min(1),
  reason: z.string().min(1),
  /** Why the latest full run misses it, when it does: shown in the README's table beside the miss. */
  missedBecause: z.string().min(1).optional(),
});

export const targetsSchema = z
  .strictObject({
    about: z.string(),
    targets: z.array(targetSchema).min(1),
  })
  .superRefine((document, context) => {
    const seen = new Set<string>();
    document.targets.forEach((target, index) => {
      const key = targetKey(target);
      if (seen.has(key)) context.addIssue({ code: 'custom', path: ['targets', index], message: `${key} has two targets` });
      seen.add(key);
    });
  });

export type Target = z.infer<typeof targetSchema>;
export type Targets = z.infer<typeof targetsSchema>;

export function targetKey(target: { suite: string; name: string; field: FigureField }): string {
  return `${target.suite}/${target.name} ${target.field}`;
}

export function loadTargets(path: string = TARGETS_PATH): Targets {
  return readJsonFile(path, targetsSchema);
}

export function passes(comparison: Comparison, value: number, limit: number): boolean {
  return comparison === '<=' ? value <= limit : value >= limit;
}

const SYMBOL: Record<Comparison, string> = { '<=': '≤', '>=': '≥' };

/** "p99 ≤ 20 ms", "median ≥ 0.6". */
export function describeLimit(field: FigureField, comparison: Comparison, limit: number, unit: string): string {
  const shown = limit.toLocaleString('en-US', { maximumFractionDigits: 6 });
  return `${field} ${SYMBOL[comparison]} ${shown}${unit === 'ratio' || unit === 'count' ? '' : ` ${unit}`}`;
}

export function describeTarget(target: Target): string {
  return describeLimit(target.field, target.comparison, target.limit, target.unit);
}
