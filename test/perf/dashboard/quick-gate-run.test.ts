/**
 * The quick gate's child process: its figures are collected, and a run that hangs (here a main
 * thread blocked for good, as a deadlock inside node:crypto once left it, running no timers) is
 * killed at the deadline and reported, with the figures it printed before; a run that fails is
 * reported with its exit code.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQuickGate } from '../../../perf/dashboard/quick-gate-run.js';

const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-quick-gate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIGURE = { suite: 'gate', name: 'x_vs_y', unit: 'ratio', n: 3, median: 1.5, p99: 2 };
/** Short: the hung child below never finishes, so the test waits this long, and no more. */
const DEADLINE_MS = 2_000;

function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `process.stdout.write(${JSON.stringify(`${JSON.stringify(FIGURE)}\n`)});\n${body}\n`);
  return file;
}

describe('runQuickGate', () => {
  it('collects the figures of a run that finishes', async () => {
    const run = await runQuickGate('gate', 60_000, script('fine.cjs', 'process.stdout.write("not a figure\\n");'));
    expect(run).toEqual({ ok: true, figures: [FIGURE] });
  });

  it('kills a run whose main thread is blocked for good, and says so', async () => {
    const run = await runQuickGate('gate', DEADLINE_MS, script('hung.cjs', 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);'));
    expect(run.ok).toBe(false);
    expect(run.ok ? '' : run.why).toContain(`did not finish within ${DEADLINE_MS / 1_000} s and was killed`);
    expect(run.figures).toEqual([FIGURE]);
  });

  it('reports a run that fails, and a figure line that does not parse', async () => {
    const failed = await runQuickGate('gate', 60_000, script('failed.cjs', 'process.exitCode = 3;'));
    expect(failed.ok ? '' : failed.why).toBe('the gate suite exited with code 3');
    const garbled = await runQuickGate('gate', 60_000, script('garbled.cjs', 'process.stdout.write("{not json\\n");'));
    expect(garbled.ok ? '' : garbled.why).toContain('printed a figure that does not parse: {not json');
  });
});
