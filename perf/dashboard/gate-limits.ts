/**
 * perf/gate-limits.json: the limits `npm test` holds the gate suite's figures to after its --quick
 * run (`bench:check -- --quick-run`). Every figure there is a ratio measured side by side, so the
 * limits hold on any machine. Each limit says what it was set from (the ratio measured on an idle
 * machine and with two CPU burners) and why. A ratio that measures a target of
 * perf/targets.json names the target instead of a limit: its limit is the target's, so it can
 * never admit a value past it, and moving the target moves it.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Figure } from '../stats.js';
import { DashboardInputError, readJsonFile } from './json-file.js';
import { fieldOf, findFigure } from './target-check.js';
import { comparisonSchema, describeLimit, figureFieldSchema, passes, type Target } from './targets.js';

export const GATE_LIMITS_PATH = fileURLToPath(new URL('../../../perf/gate-limits.json', import.meta.url));

const limitSchema = z
  .strictObject({
    name: z.string().min(1),
    field: figureFieldSchema,
    comparison: comparisonSchema,
    /** Set from measurements, for a ratio no target names. */
    limit: z.number().finite().optional(),
    /** `suite/name` of the target this ratio measures: the limit is the target's. */
    target: z.string().regex(/^[^/]+\/[^/]+$/).optional(),
    /** The medians seen when the limit was set, and under what load. */
    measured: z.string().min(1),
    why: z.string().min(1),
  })
  .refine((limit) => (limit.limit === undefined) !== (limit.target === undefined), { message: 'give a limit or the target it stands for, not both' });

export const gateLimitsSchema = z.strictObject({
  about: z.string(),
  suite: z.string().min(1),
  limits: z.array(limitSchema).min(1),
});

type GateLimitsFile = z.infer<typeof gateLimitsSchema>;
/** A limit with its number: its own, or its target's. */
export type GateLimit = GateLimitsFile['limits'][number] & { limit: number };
export type GateLimits = Omit<GateLimitsFile, 'limits'> & { limits: GateLimit[] };

/** A limit's number: its own, or that of the target it stands for (which must exist and be compared the same way). */
function resolve(limit: GateLimitsFile['limits'][number], targets: readonly Target[], file: string): GateLimit {
  if (!limit.target) return { ...limit, limit: limit.limit! };
  const [suite, name] = limit.target.split('/');
  const target = targets.find((candidate) => candidate.suite === suite && candidate.name === name);
  if (!target) throw new DashboardInputError(file, `${limit.name} stands for ${limit.target}, which has no target in perf/targets.json`);
  if (target.comparison !== limit.comparison || target.field !== limit.field) {
    throw new DashboardInputError(file, `${limit.name} is ${limit.field} ${limit.comparison}, its target ${limit.target} ${target.field} ${target.comparison}`);
  }
  return { ...limit, limit: target.limit };
}

export function loadGateLimits(targets: readonly Target[], path: string = GATE_LIMITS_PATH): GateLimits {
  const file = readJsonFile(path, gateLimitsSchema);
  return { ...file, limits: file.limits.map((limit) => resolve(limit, targets, path)) };
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
