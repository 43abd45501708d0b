/**
 * bench:baseline moves the baseline to a later full run (through its CLI, on temp files): the run
 * becomes the suite's baseline with its values, is then never compared with itself, and the next
 * run is compared with it. A --quick run is refused as a baseline.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BASELINE_PATH, loadBaseline } from '../../../perf/dashboard/baseline.js';
import type { RunFile } from '../../../perf/dashboard/results-file.js';
import type { Figure } from '../../../perf/stats.js';

const BASELINE_CLI = fileURLToPath(new URL('../../../perf/dashboard/baseline-cli.js', import.meta.url));
const CHECK_CLI = fileURLToPath(new URL('../../../perf/dashboard/check-cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-baseline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SUITE = 'identity';
const original = loadBaseline();
const guarded = original.figures.filter((entry) => entry.suite === SUITE);

function run(startedAt: string, scale: number, quick = false): RunFile & { suite: string } {
  const figures = guarded.map((entry) => ({ suite: SUITE, name: entry.name, unit: entry.unit, n: 500, median: entry.value * scale, p99: entry.value * scale, ratio: entry.value * scale }) as Figure);
  return { suite: SUITE, startedAt, quick, commit: 'd'.repeat(40), uncommittedChanges: false, figures };
}

function write(name: string, content: RunFile): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

function node(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('bench:baseline', () => {
  it('makes a full run the baseline, which is then not compared with itself; a later run is', () => {
    const baseline = join(dir, 'baseline.json');
    copyFileSync(BASELINE_PATH, baseline);
    const accepted = run('2031-01-01T00:00:00.000Z', 0.9);
    const file = write(`${SUITE}-2031-01-01T00-00-00.000Z.json`, accepted);
    const moved = node(BASELINE_CLI, '--baseline', baseline, file);
    expect(moved.output).toContain(`baseline of ${SUITE}: ${file}`);
    expect(moved.status).toBe(0);
    const updated = loadBaseline(baseline);
    expect(updated.runs[SUITE]).toMatchObject({ startedAt: accepted.startedAt, commit: 'd'.repeat(40) });
    for (const entry of updated.figures.filter((candidate) => candidate.suite === SUITE)) {
      expect(entry.value).toBeCloseTo(guarded.find((old) => old.name === entry.name)!.value * 0.9, 10);
    }
    // Other suites keep their baseline.
    expect(updated.runs['bus']).toEqual(original.runs['bus']);

    const results = join(dir, 'results');
    mkdirSync(results);
    writeFileSync(join(results, `${SUITE}-latest.json`), JSON.stringify(accepted));
    const own = node(CHECK_CLI, '--baseline', baseline, '--results-dir', results);
    expect(own.output).toContain(`not compared: ${SUITE}: ${SUITE}-latest.json is the baseline's own run`);

    const worse = guarded.find((entry) => entry.better === 'lower')!;
    const later = run('2031-02-01T00:00:00.000Z', 0.9);
    later.figures = later.figures.map((figure) => (figure.name === worse.name ? { ...figure, [worse.field]: worse.value * 0.9 * (1 + worse.tolerance) * 1.1 } : figure));
    writeFileSync(join(results, `${SUITE}-latest.json`), JSON.stringify(later));
    const checked = node(CHECK_CLI, '--baseline', baseline, '--results-dir', results);
    expect(checked.output).toContain(`REGRESSED ${SUITE}/${worse.name} ${worse.field}`);
    expect(checked.status).toBe(1);
  });

  it('refuses a --quick run as a baseline', () => {
    const baseline = join(dir, 'baseline-quick.json');
    copyFileSync(BASELINE_PATH, baseline);
    const file = write(`${SUITE}-2031-03-01T00-00-00.000Z.json`, run('2031-03-01T00:00:00.000Z', 1, true));
    const refused = node(BASELINE_CLI, '--baseline', baseline, file);
    expect(refused.output).toContain('is not a full run');
    expect(refused.status).toBe(2);
    expect(loadBaseline(baseline)).toEqual(original);
  });
});
