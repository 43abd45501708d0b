/** The HTML report: a static page (no script, nothing fetched) that names a regressed figure and charts every compared one. */
import { describe, expect, it } from 'vitest';
import { loadCheckInputs } from '../../../perf/dashboard/bench-check.js';
import { renderReport } from '../../../perf/dashboard/html-report.js';
import { limitOf } from '../../../perf/dashboard/regression-check.js';
import type { Figure } from '../../../perf/stats.js';

const inputs = loadCheckInputs();

describe('HTML report', () => {
  it('charts each compared figure and says how many regressed', () => {
    // Every figure on its limit (a baseline value past its target would itself fail), one 10 times worse.
    const figures = inputs.baseline.figures.map((entry) => {
      const value = limitOf(entry, inputs.targets.targets).limit;
      return { suite: entry.suite, name: entry.name, unit: entry.unit, n: 10, median: value, p99: value, ratio: value } as Figure;
    });
    const worse = inputs.baseline.figures.find((entry) => entry.better === 'lower' && entry.value > 0 && !inputs.targets.targets.some((target) => target.name === entry.name))!;
    const planted = figures.map((figure) => (figure.name === worse.name ? { ...figure, [worse.field]: worse.value * 100 } : figure));
    const html = renderReport({ startedAt: '2030-01-01T00:00:00.000Z', quick: false, commit: 'b'.repeat(40), uncommittedChanges: false, host: { cpus: 2, load1: 1, node: 'v20' }, figures: planted }, inputs);
    expect(html).toContain(`1 of ${inputs.baseline.figures.length} guarded figures regressed`);
    expect(html.match(/<svg /g)?.length).toBe(inputs.baseline.figures.length);
    expect(html).toContain('commit bbbbbbbbbbbb');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('does not chart a run against the baseline it was taken from', () => {
    const [suite, run] = Object.entries(inputs.baseline.runs)[0]!;
    const figures = inputs.baseline.figures.filter((entry) => entry.suite === suite).map((entry) => ({ suite, name: entry.name, unit: entry.unit, n: 10, median: entry.value, p99: entry.value, ratio: entry.value }) as Figure);
    const html = renderReport({ startedAt: run.startedAt, quick: false, commit: null, uncommittedChanges: null, figures }, inputs);
    expect(html).toContain("is the baseline's own run");
    expect(html).not.toContain('<svg ');
  });
});
