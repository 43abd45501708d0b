/** The per-floor figures of a coverage run: each floor's files summed as vitest sums them, and a missed floor fails. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(REPO, 'scripts/coverage-by-gate.mjs');
let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Runs the script on a json-summary report holding these source files' line counts. */
function figures(lines: Record<string, [covered: number, total: number]>): { code: number; output: string } {
  dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-by-gate-'));
  const summary: Record<string, unknown> = { total: {} };
  for (const [source, [covered, total]] of Object.entries(lines)) summary[join(REPO, source)] = { lines: { covered, total, pct: (100 * covered) / total } };
  const file = join(dir, 'coverage-summary.json');
  writeFileSync(file, JSON.stringify(summary));
  try {
    return { code: 0, output: execFileSync(process.execPath, [SCRIPT, file], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (error) {
    const failed = error as { status: number; stdout: string };
    return { code: failed.status, output: failed.stdout };
  }
}

const floorLine = (output: string, key: string) => output.split('\n').find((line) => line.endsWith(`: ${key}`));

describe('coverage by gate', () => {
  it("sums each floor's files together, and passes when every floor is met", () => {
    const { code, output } = figures({
      'store/samples.ts': [45, 50],
      'store/outcomes.ts': [50, 50],
      'cli/main.ts': [0, 20],
      'cli/load-config.ts': [80, 80],
      'lib/spiffe/x509-svid.ts': [10, 10],
      'lib/crypto/wire.ts': [10, 10],
      'actors/peer-link/pq-session.ts': [10, 10],
      'actors/runtime/node.ts': [10, 10],
      'machines/monitor.ts': [10, 10],
    });
    expect(output).not.toContain('MISSED');
    expect(code).toBe(0);
    expect(floorLine(output, 'store/**')).toBe(' 95.00% of lines (95/100, 2 files), floor 90%: store/**');
    expect(floorLine(output, 'cli/**')).toBe(' 80.00% of lines (80/100, 2 files), floor 80%: cli/**');
  });

  it('fails on a missed floor, marking it, and on a floor with no line to count', () => {
    const { code, output } = figures({ 'actors/runtime/node.ts': [79, 100] });
    expect(code).toBe(1);
    expect(floorLine(output, 'actors/runtime/**')).toBe(' 79.00% of lines (79/100, 1 files), floor 80% MISSED: actors/runtime/**');
    // Nothing of store/ in this report: vitest would call that 100%.
    expect(floorLine(output, 'store/**')).toBe('  0.00% of lines (0/0, 0 files), floor 90% MISSED (no lines): store/**');
  });
});
