/**
 * No benchmark may depend on the calendar: the gate suite's measurements, which `npm test`'s quick
 * gate runs, are run here once each (fixtures/gate-smoke.ts: the same code with the smallest
 * counts) with the process clock a year ahead (libfaketime, installed by scripts/setup.sh, shifts
 * the clock OpenSSL and the certificates see too), and must still produce every figure the gate
 * limits name. A fixed date in a fixture (the identity bench once checked a chain at the fixture's
 * 2026-11-26 against a CA made from the real time) fails here before it fails CI on a later day.
 * Only that the figures exist is checked, not their values: timing belongs to bench:check.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCheckInputs } from '../../../perf/dashboard/bench-check.js';

const SMOKE = fileURLToPath(new URL('./fixtures/gate-smoke.js', import.meta.url));
const FAKETIME = '/usr/bin/faketime';
const AHEAD = '+365d';

const { gate } = loadCheckInputs();

describe('the quick benchmark gate on a later date', () => {
  it('has libfaketime (scripts/setup.sh installs it)', () => {
    expect(existsSync(FAKETIME), `${FAKETIME} is missing: run scripts/setup.sh`).toBe(true);
  });

  it('shifts the clock the suites see', () => {
    const result = spawnSync(FAKETIME, ['-f', AHEAD, process.execPath, '-p', 'Date.now()'], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(Number(result.stdout) - Date.now()).toBeGreaterThan(360 * 86_400_000);
  });

  it(`measures every ${gate.suite} figure a year ahead`, () => {
    const result = spawnSync(FAKETIME, ['-f', AHEAD, process.execPath, SMOKE], { encoding: 'utf8', timeout: 280_000 });
    expect(result.status, `${result.stderr}`.slice(-4_000)).toBe(0);
    const names = new Set(
      result.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => (JSON.parse(line) as { name: string }).name),
    );
    for (const limit of gate.limits) expect(names, `figure ${limit.name}`).toContain(limit.name);
  }, 300_000);
});
