/**
 * The README's performance table is the one generated from perf/results/*-latest.json (its numbers
 * cannot drift from the runs), and the table says what it shows: every target with its verdict,
 * the misses (with their reason) and the missing figures as rows, the commit each figure was
 * measured at, and maxima labelled as maxima.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectedSuites, loadCheckInputs } from '../../../perf/dashboard/bench-check.js';
import { README_PATH, renderTable, RESULTS_DIR, TABLE_END, TABLE_START, withTable } from '../../../perf/dashboard/readme-table.js';
import { latestRuns, type Run } from '../../../perf/dashboard/results-file.js';
import { describeTarget } from '../../../perf/dashboard/targets.js';
import type { Figure } from '../../../perf/stats.js';

const inputs = loadCheckInputs();
const suites = expectedSuites(inputs);

function run(figures: Figure[], extra: Partial<Run> = {}): Run {
  return { file: 'x.json', startedAt: '2026-12-01T00:00:00.000Z', quick: false, commit: '0123456789abcdef0123456789abcdef01234567', uncommittedChanges: false, figures, ...extra };
}

function rowOf(table: string, name: string): string {
  const row = table.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
  if (!row) throw new Error(`no row for ${name} in:\n${table}`);
  return row;
}

describe('README performance table', () => {
  it('matches the latest runs (regenerate with npm run bench:readme) and lists every target', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    const table = renderTable(inputs, latestRuns(RESULTS_DIR, suites), suites);
    expect(withTable(readme, table)).toBe(readme);
    for (const target of inputs.targets.targets) expect(rowOf(table, target.name)).toContain(describeTarget(target));
  });

  it('shows the commit, the verdict with its reason, the missing target and honest tails', () => {
    const spare = inputs.targets.targets.find((target) => target.name === 'crash_to_serving_ms_throw_spare')!;
    const throughput = inputs.targets.targets.find((target) => target.name === 'actor_processed_msgs_per_s')!;
    const restart = run([
      { suite: 'restart', name: spare.name, unit: 'ms', n: 200, median: 12, p99: spare.limit + 5, min: 5, max: 40 },
      { suite: 'restart', name: 'one_for_all_8_ms', unit: 'ms', n: 50, median: 30, p99: 60, min: 20, max: 60 },
    ]);
    const bus = run([{ suite: 'bus', name: throughput.name, unit: 'msgs/s', n: 11, median: 150_000, p99: 170_000, min: 120_000, max: 170_000 }], { uncommittedChanges: true, quick: true, commit: 'fedcba9876543210fedcba9876543210fedcba98' });
    const table = renderTable(inputs, new Map([['restart', restart], ['bus', bus]]), ['bus', 'restart']);
    const missed = rowOf(table, spare.name);
    expect(missed).toContain('p99 25');
    expect(missed).toContain(`**missed**: ${spare.missedBecause ?? '(no reason recorded)'}`);
    expect(missed).toContain('`0123456`');
    expect(rowOf(table, 'one_for_all_8_ms')).toContain('max 60 (50 samples)');
    expect(rowOf(table, 'one_for_all_8_ms')).toContain('| met |');
    // CPU seconds per second is a cost: its largest run is the worst, not the best.
    const cost = renderTable(inputs, new Map([['sim', run([{ suite: 'sim', name: 'sim_cpu_s_per_sim_s', unit: 's/s', n: 2, median: 7, p99: 8.5, min: 5.5, max: 8.5 }])]]), ['sim']);
    expect(rowOf(cost, 'sim_cpu_s_per_sim_s')).toContain('max 8.5 (2 samples)');
    const best = rowOf(table, throughput.name);
    expect(best).toContain('best run 170,000, worst 120,000 (11 runs)');
    expect(best).not.toContain('p99');
    expect(best).toContain('`fedcba9` + uncommitted changes (--quick)');
    // A quick run does not judge a target; a target without its figure has a row of its own.
    expect(best).toContain('**missing**: the bus run is --quick');
    const node = inputs.targets.targets.find((target) => target.suite === 'restart' && !restart.figures.some((figure) => figure.name === target.name))!;
    expect(rowOf(table, node.name)).toContain(`**missing**: ${node.name} is not in the restart run`);
    // A suite with targets and no run at all still shows them; one with neither is left out.
    const mape = renderTable(inputs, new Map(), ['mape', inputs.gate.suite]);
    for (const target of inputs.targets.targets.filter((candidate) => candidate.suite === 'mape')) expect(rowOf(mape, target.name)).toContain('**missing**: no run of the mape suite');
    expect(inputs.targets.targets.some((target) => target.suite === inputs.gate.suite)).toBe(false);
    expect(mape).not.toContain(`**${inputs.gate.suite}**`);
  });

  it('refuses a README without its markers', () => {
    expect(() => withTable('no markers here', 'table')).toThrow(TABLE_START);
    expect(withTable(`a\n${TABLE_START}\nold\n${TABLE_END}\nb`, 'new')).toBe('a\nnew\nb');
  });
});
