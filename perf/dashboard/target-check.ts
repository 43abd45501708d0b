/**
 * Judges figures against perf/targets.json, independently of any baseline: each target is met,
 * missed, or missing (its suite has no run, the run was --quick, or the figure or the field the
 * target names is not in it). A full check fails on anything but met.
 */
import type { Figure } from '../stats.js';
import type { Run } from './results-file.js';
import { describeTarget, passes, type FigureField, type Target } from './targets.js';

export type TargetStatus = 'met' | 'missed' | 'missing';

export interface TargetVerdict {
  target: Target;
  status: TargetStatus;
  actual?: number;
  /** For `missing`: what is missing. */
  why?: string;
  run?: Run;
}

export function fieldOf(figure: Figure | undefined, field: FigureField): number | undefined {
  const value = figure?.[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function findFigure(figures: readonly Figure[], suite: string, name: string): Figure | undefined {
  return figures.find((figure) => figure.suite === suite && figure.name === name);
}

export function checkTarget(target: Target, run: Run | undefined): TargetVerdict {
  if (!run) return { target, status: 'missing', why: `no run of the ${target.suite} suite` };
  if (run.quick === true) return { target, status: 'missing', why: `the ${target.suite} run is --quick (targets are judged on full runs)`, run };
  const figure = findFigure(run.figures, target.suite, target.name);
  if (!figure) return { target, status: 'missing', why: `${target.name} is not in the ${target.suite} run`, run };
  const actual = fieldOf(figure, target.field);
  if (actual === undefined) return { target, status: 'missing', why: `${target.name} has no ${target.field}`, run };
  return { target, status: passes(target.comparison, actual, target.limit) ? 'met' : 'missed', actual, run };
}

export function describeTargetVerdict(verdict: TargetVerdict): string {
  const { target } = verdict;
  const label = `${target.suite}/${target.name}`;
  const goal = `target ${describeTarget(target)} (${target.source})`;
  if (verdict.status === 'missing') return `MISSING  ${label}: ${verdict.why}; ${goal}`;
  return `${verdict.status === 'met' ? 'met     ' : 'MISSED  '} ${label} ${target.field} ${verdict.actual}; ${goal}`;
}
