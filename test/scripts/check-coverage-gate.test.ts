/** The coverage gate's own check: the real gate names files of this build, and a planted glob that names none fails it. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(REPO, 'scripts/check-coverage-gate.mjs');
let root: string | undefined;
afterEach(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function run(args: string[]): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (error) {
    const failed = error as { status: number; stderr: string };
    return { code: failed.status, output: failed.stderr };
  }
}

interface Gate {
  include: string[];
  exclude: string[];
  thresholds: Record<string, unknown>;
}

/**
 * A build of two compiled files (one with a source map naming its TypeScript source, one without)
 * and a gate file; runs the check on them.
 */
function check(gate: Gate): { code: number; output: string } {
  root = mkdtempSync(join(tmpdir(), 'x0tta6bl4-gate-'));
  mkdirSync(join(root, 'dist/store'), { recursive: true });
  mkdirSync(join(root, 'dist/cli'), { recursive: true });
  writeFileSync(join(root, 'dist/store/samples.js'), 'export {};\n');
  writeFileSync(join(root, 'dist/store/samples.js.map'), JSON.stringify({ version: 3, sources: ['../../store/samples.ts'], mappings: '' }));
  writeFileSync(join(root, 'dist/cli/main.js'), 'export {};\n');
  const gateFile = join(root, 'gate.mjs');
  writeFileSync(gateFile, `export const COVERAGE_GATE = ${JSON.stringify(gate)};\n`);
  return run([root, '--gate', gateFile]);
}

const SOUND: Gate = {
  include: ['dist/store/**/*.js', 'dist/cli/**/*.js'],
  exclude: ['dist/cli/main.js'],
  thresholds: { lines: 50, 'store/**': { lines: 90 }, '{store/samples.ts,store/**}': { lines: 90 } },
};

describe('coverage gate check', () => {
  it('passes the gate vitest.config.ts uses, on this build', () => {
    const { code, output } = run([REPO]);
    expect(output).toContain('check-coverage-gate: ok');
    expect(code).toBe(0);
  });

  it('is the gate vitest.config.ts applies', async () => {
    // Loaded as vitest loads them (the config is TypeScript, outside the build).
    const config = ((await import(join(REPO, 'vitest.config.ts'))) as { default: { test: { coverage: Record<string, unknown> } } }).default;
    const { COVERAGE_GATE } = (await import(join(REPO, 'scripts/coverage-gate.mjs'))) as { COVERAGE_GATE: Gate };
    expect(config.test.coverage).toMatchObject({ include: COVERAGE_GATE.include, exclude: COVERAGE_GATE.exclude, thresholds: COVERAGE_GATE.thresholds });
  });

  it('passes a gate whose every glob names files', () => {
    expect(check(SOUND)).toMatchObject({ code: 0 });
  });

  it('fails on an include glob that matches no file, naming it', () => {
    const { code, output } = check({ ...SOUND, include: [...SOUND.include, 'dist/stor/**/*.js'] });
    expect(code).toBe(1);
    expect(output).toContain("include 'dist/stor/**/*.js' matches no file");
  });

  it('fails on a threshold key that matches no gated source: one left out by exclude, or one alternative of a brace key', () => {
    const { code, output } = check({
      ...SOUND,
      thresholds: { ...SOUND.thresholds, 'cli/**': { lines: 80 }, '{store/**,machines/**}': { lines: 90 } },
    });
    expect(code).toBe(1);
    // cli/main.js is the only file under cli/, and it is excluded: the floor would gate nothing.
    expect(output).toContain("threshold 'cli/**' matches no gated source");
    expect(output).toContain("threshold '{store/**,machines/**}' (its 'machines/**') matches no gated source");
    expect(output).not.toContain("'store/**' matches");
  });

  it('matches threshold keys against the TypeScript a file maps back to, not its compiled name', () => {
    const { code, output } = check({ ...SOUND, thresholds: { 'store/samples.js': { lines: 90 } } });
    expect(code).toBe(1);
    expect(output).toContain("threshold 'store/samples.js' matches no gated source");
  });

  it('fails on an exclude glob that excludes nothing', () => {
    const { code, output } = check({ ...SOUND, exclude: [...SOUND.exclude, 'dist/machines/monitor.js'] });
    expect(code).toBe(1);
    expect(output).toContain("exclude 'dist/machines/monitor.js' matches no included file");
  });
});
