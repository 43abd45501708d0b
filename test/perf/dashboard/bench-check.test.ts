/**
 * The benchmark regression check: a run equal to the baseline passes; a figure planted beyond its
 * tolerance (either direction of `better`) fails, through the CLI's exit code too; a guarded
 * figure missing from a suite's run fails; the HTML report says what regressed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBaseline, type BaselineEntry } from '../../../perf/dashboard/baseline.js';
import { checkFigures, describeVerdict } from '../../../perf/dashboard/check.js';
import { renderReport } from '../../../perf/dashboard/html-report.js';
import type { Figure } from '../../../perf/stats.js';

const CHECK_CLI = fileURLToPath(new URL('../../../perf/dashboard/check-cli.js', import.meta.url));
const baseline = loadBaseline();
const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run whose guarded figures sit exactly on the baseline. */
function runAtBaseline(): Figure[] {
  return baseline.figures.map((entry) => ({ suite: entry.suite, name: entry.name, unit: entry.unit, n: 10, median: entry.value, p99: entry.value, ratio: entry.value }) as Figure);
}

function planted(run: Figure[], entry: BaselineEntry, factor: number): Figure[] {
  return run.map((figure) => (figure.suite === entry.suite && figure.name === entry.name ? { ...figure, [entry.field]: entry.value * factor } : figure));
}

function cli(figures: Figure[]): { status: number | null; output: string } {
  const file = join(dir, `run-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ startedAt: 'now', quick: false, figures }));
  const result = spawnSync(process.execPath, [CHECK_CLI, '--results', file], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('bench:check', () => {
  it('passes a run at the baseline, through the CLI too', () => {
    expect(checkFigures(baseline, runAtBaseline()).every((verdict) => verdict.ok)).toBe(true);
    const { status, output } = cli(runAtBaseline());
    expect(output).toContain(`${baseline.figures.length} of ${baseline.figures.length} guarded figures within tolerance`);
    expect(status).toBe(0);
  });

  it('fails a figure planted beyond its tolerance, whichever way is better, naming it', () => {
    const lower = baseline.figures.find((entry) => entry.better === 'lower' && entry.value > 0)!;
    const higher = baseline.figures.find((entry) => entry.better === 'higher' && entry.tolerance > 0)!;
    const worseLower = planted(runAtBaseline(), lower, 1 + lower.tolerance + 0.05);
    const worseHigher = planted(runAtBaseline(), higher, 1 - higher.tolerance - 0.05);
    for (const [run, entry] of [[worseLower, lower], [worseHigher, higher]] as const) {
      const failed = checkFigures(baseline, run).filter((verdict) => !verdict.ok);
      expect(failed.map((verdict) => verdict.entry.name)).toEqual([entry.name]);
      expect(describeVerdict(failed[0]!)).toContain('REGRESSED');
      const { status, output } = cli(run);
      expect(status).toBe(1);
      expect(output).toContain(`${entry.suite}/${entry.name} ${entry.field}`);
    }
    // Within tolerance, or better than the baseline: fine.
    expect(checkFigures(baseline, planted(runAtBaseline(), lower, 1 + lower.tolerance * 0.9)).every((verdict) => verdict.ok)).toBe(true);
    expect(checkFigures(baseline, planted(runAtBaseline(), lower, 0.5)).every((verdict) => verdict.ok)).toBe(true);
  });

  it('fails a guarded figure missing from a run of its suite, and ignores suites the run did not include', () => {
    const entry = baseline.figures.find((candidate) => candidate.suite === 'pqc')!;
    const withoutIt = runAtBaseline().filter((figure) => !(figure.suite === entry.suite && figure.name === entry.name));
    expect(checkFigures(baseline, withoutIt).filter((verdict) => !verdict.ok).map(describeVerdict)).toEqual([`pqc/${entry.name} ${entry.field}: missing from the run`]);
    const onlyBus = runAtBaseline().filter((figure) => figure.suite === 'bus');
    expect(new Set(checkFigures(baseline, onlyBus).map((verdict) => verdict.entry.suite))).toEqual(new Set(['bus']));
  });

  it('reports the run as a static HTML page with a chart per guarded figure', () => {
    const entry = baseline.figures.find((candidate) => candidate.better === 'lower' && candidate.value > 0)!;
    const html = renderReport({ startedAt: '2026-11-26T00:00:00.000Z', quick: false, host: { cpus: 2, load1: 1, node: 'v20' }, figures: planted(runAtBaseline(), entry, 10) }, baseline);
    expect(html).toContain(`1 of ${baseline.figures.length} guarded figures regressed`);
    expect(html.match(/<svg /g)?.length).toBe(baseline.figures.length);
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});
