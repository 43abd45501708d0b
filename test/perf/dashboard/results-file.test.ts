/**
 * Results files record the run they come from: a suite's run written by the runner reads back with
 * its start, quick flag and commit; the commit is this checkout's HEAD; an older bare array of
 * figures still reads, with its start taken from its file name and the rest unknown.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRun, saveSuiteRun } from '../../../perf/dashboard/results-file.js';
import { REPO_ROOT, sourceCommit } from '../../../perf/dashboard/source-commit.js';
import type { Figure } from '../../../perf/stats.js';

const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const figures: Figure[] = [{ suite: 'bus', name: 'x_ms', unit: 'ms', n: 3, median: 2, p99: 3, min: 1, max: 3, extra: { a: 1 } }];

describe('results files', () => {
  it('records the commit HEAD points at, and whether the tree has changes besides the run output', () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const source = sourceCommit();
    expect(source.commit).toBe(head);
    expect(typeof source.uncommittedChanges).toBe('boolean');
    expect(sourceCommit(dir)).toEqual({ commit: null, uncommittedChanges: null });
  });

  it('writes a suite run as a timestamped file and the latest, which read back whole', () => {
    const startedAt = '2026-12-01T10:20:30.456Z';
    const files = saveSuiteRun(dir, { suite: 'bus', startedAt, quick: true, commit: 'c'.repeat(40), uncommittedChanges: true, host: { cpus: 2, load1: 1.5, node: 'v20' }, figures });
    expect(files.run).toBe(join(dir, 'bus-2026-12-01T10-20-30.456Z.json'));
    expect(readFileSync(files.run, 'utf8')).toBe(readFileSync(files.latest, 'utf8'));
    expect(readRun(files.latest)).toEqual({ file: files.latest, startedAt, quick: true, commit: 'c'.repeat(40), uncommittedChanges: true, figures });
  });

  it('reads a bare array of figures, its start from a timestamped name only', () => {
    const stamped = join(dir, 'bus-2026-11-26T06-13-10.302Z.json');
    const latest = join(dir, 'bus-latest.json');
    for (const file of [stamped, latest]) writeFileSync(file, JSON.stringify(figures));
    expect(readRun(stamped)).toMatchObject({ startedAt: '2026-11-26T06:13:10.302Z', quick: null, commit: null, figures });
    expect(readRun(latest).startedAt).toBeNull();
  });
});
