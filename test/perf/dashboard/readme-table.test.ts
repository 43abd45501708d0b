/** The README's performance table is the one generated from perf/results/*-latest.json: its numbers cannot drift from the runs. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBaseline } from '../../../perf/dashboard/baseline.js';
import { latestFigures, README_PATH, renderTable, TABLE_END, TABLE_START, withTable } from '../../../perf/dashboard/readme-table.js';

describe('README performance table', () => {
  it('matches the latest full runs (regenerate with npm run bench:readme)', () => {
    const baseline = loadBaseline();
    const readme = readFileSync(README_PATH, 'utf8');
    const table = renderTable(latestFigures(baseline), baseline);
    expect(withTable(readme, table)).toBe(readme);
    // Every suite's section names its command, and every guarded figure is in the table.
    for (const [suite, command] of Object.entries(baseline.commands)) expect(table).toContain(`**${suite}**: \`${command}\``);
    for (const entry of baseline.figures) expect(table).toContain(`| \`${entry.name}\` |`);
  });

  it('refuses a README without its markers', () => {
    expect(() => withTable('no markers here', 'table')).toThrow(TABLE_START);
    expect(withTable(`a\n${TABLE_START}\nold\n${TABLE_END}\nb`, 'new')).toBe('a\nnew\nb');
  });
});
