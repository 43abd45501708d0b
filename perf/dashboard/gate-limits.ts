/**
 * perf/gate-limits.json: the limits `npm test` holds the gate suite's figures to after its --quick
 * run (`bench:check -- --quick-run`). Every figure there is a ratio measured side by side, so the
 * limits hold on any machine. Each limit says what it was set from (the ratio measured on an idle
 * machine and with two CPU burners) and why; a limit that stands for a target in
 * perf/targets.json is the target's own limit, and loading refuses one that would admit a value
 * past it.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Figure } from '../stats.js';
import { DashboardInputError, readJsonFile } from './json-file.js';
import { fieldOf, findFigure } from './target-check.js';
import { comparisonSchema, describeLimit, figureFieldSchema, passes, type Target } from './targets.js';

export const GATE_LIMITS_PATH = fileURLToPath(new URL('../../../perf/gate-limits.json', import.meta.url));

const limitSchema = z.strictObject({
  name: z.string().min(1),
  field: figureFieldSchema,
  comparison: comparisonSchema,
  limit: z.number().finite(),
  /** `suite/name` of the target this ratio measures, when it measures one. */
  target: z.string().regex(/^[^/]+\/[^/]+$/).optional(),
  /** The medians seen when the limit was set: idle, and with two CPU burners. */
  measured: z.string().min(1),
  why: z.string().min(1),
});

export const gateLimitsSchema = z.strictObject({
  about: z.string(),
  suite: z.string().min(1),
  limits: z.array(limitSchema).min(1),
});

export type GateLimits = z.infer<typeof gateLimitsSchema>;
export type GateLimit = GateLimits['limits'][number];

/** The target a limit stands for (checked: it exists and is compared the same way). */
export function targetOf(limit: GateLimit, targets: readonly Target[], file = 'gate limits'): Target | undefined {
  if (!limit.target) return undefined;
  const [suite, name] = limit.target.split('/');
  const target = targets.find((candidate) => candidate.suite === suite && candidate.name === name);
  if (!target) throw new DashboardInputError(file, `${limit.name} stands for ${limit.target}, which has no target in perf/targets.json`);
  if (target.comparison !== limit.comparison) throw new DashboardInputError(file, `${limit.name} is compared ${limit.comparison}, its target ${limit.target} ${target.comparison}`);
  if (!passes(target.comparison, limit.limit, target.limit)) {
    throw new DashboardInputError(file, `${limit.name} allows ${limit.comparison} ${limit.limit}, past its target ${limit.target} ${target.comparison} ${target.limit}`);
  }
  return target;
}

export function loadGateLimits(targets: readonly Target[], path: string = GATE_LIMITS_PATH): GateLimits {
  const limits = readJsonFile(path, gateLimitsSchema);
  for (const limit of limits.limits) targetOf(limit, targets, path);
  return limits;
}

export interface GateVerdict {
  limit: GateLimit;
  actual: number | undefined;
  ok: boolean;
}

export function checkGate(limits: GateLimits, figures: readonly Figure[]): GateVerdict[] {
  return limits.limits.map((limit) => {
    const actual = fieldOf(findFigure(figures, limits.suite, limit.name), limit.field);
    return { limit, actual, ok: actual !== undefined && passes(limit.comparison, actual, limit.limit) };
  });
}

export function describeGateVerdict(suite: string, verdict: GateVerdict): string {
  const { limit } = verdict;
  const bound = `${describeLimit(limit.field, limit.comparison, limit.limit, 'ratio')}${limit.target ? ` (the target of ${limit.target})` : ''}`;
  if (verdict.actual === undefined) return `MISSING  ${suite}/${limit.name}: not in the run; limit ${bound}`;
  return `${verdict.ok ? 'ok      ' : 'FAILED  '} ${suite}/${limit.name} ${limit.field} ${verdict.actual}: limit ${bound}`;
}
