#!/usr/bin/env node
// Each floor of the coverage gate (scripts/coverage-gate.mjs) with the share of lines its files have
// covered, from the json-summary report of the last `npx vitest run --coverage`: the figures vitest
// checks but prints only when one is missed. Files are matched as vitest matches them (its own
// picomatch, against the source path relative to the root).
// Usage: node scripts/coverage-by-gate.mjs [SUMMARY]  (default coverage/coverage-summary.json; exit 1 when a floor is
// missed, or covers no line at all)
import { readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COVERAGE_GATE } from './coverage-gate.mjs';
import { floorGlobs, picomatch as pm } from './vitest-globs.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const summaryFile = resolve(process.argv[2] ?? 'coverage/coverage-summary.json');

/** @type {Record<string, { lines: { total: number, covered: number } }>} */
const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
const files = Object.entries(summary)
  .filter(([file]) => file !== 'total')
  .map(([file, data]) => ({ source: relative(root, file).split(sep).join('/'), lines: data.lines }));

let missed = 0;
for (const key of floorGlobs(COVERAGE_GATE.thresholds)) {
  const floor = COVERAGE_GATE.thresholds[key];
  const matcher = pm(key);
  const matched = files.filter((file) => matcher(file.source));
  const covered = matched.reduce((sum, file) => sum + file.lines.covered, 0);
  const total = matched.reduce((sum, file) => sum + file.lines.total, 0);
  // No lines at all is no figure (vitest would count it as 100%): a floor over nothing is missed.
  const pct = total === 0 ? 0 : (100 * covered) / total;
  const met = total > 0 && pct >= floor.lines;
  if (!met) missed++;
  console.log(
    `${pct.toFixed(2).padStart(6)}% of lines (${covered}/${total}, ${matched.length} files), floor ${floor.lines}%${met ? '' : total === 0 ? ' MISSED (no lines)' : ' MISSED'}: ${key}`,
  );
}
process.exit(missed > 0 ? 1 : 0);
