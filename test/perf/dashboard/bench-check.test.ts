/**
 * bench:check through its CLI (a real process on temp files), against the real perf/targets.json,
 * perf/baseline.json and perf/gate-limits.json: a full run that meets every target and regresses
 * nothing passes; a planted missed target fails, naming it, whatever the baseline says; a target
 * whose figure is absent fails as missing; a planted regression fails; a tolerance never admits a
 * value past the target; the baseline's own run is never compared with itself; a gate ratio past
 * its limit fails; a bad input file exits 2 naming it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedSuites, loadCheckInputs } from '../../../perf/dashboard/bench-check.js';
import { limitOf } from '../../../perf/dashboard/regression-check.js';
import type { RunFile } from '../../../perf/dashboard/results-file.js';
import { passes, type Comparison, type FigureField } from '../../../perf/dashboard/targets.js';
import type { Figure } from '../../../perf/stats.js';

const CHECK_CLI = fileURLToPath(new URL('../../../perf/dashboard/check-cli.js', import.meta.url));
const inputs = loadCheckInputs();
const suites = expectedSuites(inputs);
const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-bench-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Later than every baseline run, so each suite is compared with it. */
const LATER = new Date(Math.max(...Object.values(inputs.baseline.runs).map((run) => Date.parse(run.startedAt))) + 86_400_000).toISOString();

type Constraint = { comparison: Comparison; limit: number };

/** Every bound a figure's field must keep: its target, its regression limit (clamped), its gate limit. */
function constraints(): Map<string, { suite: string; name: string; unit: string; field: FigureField; bounds: Constraint[] }> {
  const all = new Map<string, { suite: string; name: string; unit: string; field: FigureField; bounds: Constraint[] }>();
  const add = (suite: string, name: string, unit: string, field: FigureField, bound: Constraint) => {
    const key = `${suite}/${name} ${field}`;
    const entry = all.get(key) ?? { suite, name, unit, field, bounds: [] };
    entry.bounds.push(bound);
    all.set(key, entry);
  };
  for (const target of inputs.targets.targets) add(target.suite, target.name, target.unit, target.field, target);
  for (const entry of inputs.baseline.figures) add(entry.suite, entry.name, entry.unit, entry.field, { comparison: entry.better === 'lower' ? '<=' : '>=', limit: limitOf(entry, inputs.targets.targets).limit });
  for (const limit of inputs.gate.limits) add(inputs.gate.suite, limit.name, 'ratio', limit.field, limit);
  return all;
}

/** A full run of every suite whose every figure sits on its strictest bound (a bound passes). */
function passingRun(): Map<string, Figure[]> {
  const figures = new Map<string, Figure>();
  for (const { suite, name, unit, field, bounds } of constraints().values()) {
    const upper = bounds.filter((bound) => bound.comparison === '<=').map((bound) => bound.limit);
    const lower = bounds.filter((bound) => bound.comparison === '>=').map((bound) => bound.limit);
    const value = upper.length > 0 ? Math.min(...upper) : Math.max(...lower);
    const key = `${suite}/${name}`;
    const figure = figures.get(key) ?? ({ suite, name, unit, n: 200, median: value, p99: value } as Figure);
    figure[field] = value;
    figures.set(key, figure);
  }
  const bySuite = new Map<string, Figure[]>(suites.map((suite) => [suite, []]));
  for (const figure of figures.values()) bySuite.get(figure.suite)!.push(figure);
  return bySuite;
}

function plant(run: Map<string, Figure[]>, suite: string, name: string, field: FigureField, value: number | undefined): Map<string, Figure[]> {
  const copy = new Map([...run].map(([key, figures]) => [key, figures.map((figure) => ({ ...figure }))]));
  const figures = copy.get(suite)!;
  const index = figures.findIndex((figure) => figure.name === name);
  if (value === undefined) figures.splice(index, 1);
  else figures[index]![field] = value;
  return copy;
}

/**
 * perf/gate-limits.json as it would be written if its AEAD ratio stood for the pqc suite's target
 * (a limit with no number of its own, `target` instead), that entry and that target. The file's
 * own entry has a CI limit below the target (see its why), so the form is made here.
 */
function gateLimitsStandingForTarget() {
  const target = inputs.targets.targets.find((candidate) => candidate.suite === 'pqc' && candidate.name === 'aead_ratio_64k')!;
  const limits = inputs.gate.limits.map(({ limit, ...rest }) => (rest.name === 'pqc_aead_ratio_64k' ? { ...rest, target: `${target.suite}/${target.name}` } : { ...rest, limit }));
  const standing = limits.find((limit) => limit.name === 'pqc_aead_ratio_64k')! as (typeof limits)[number] & { target: string };
  const file = join(dir, 'gate-limits-standing.json');
  writeFileSync(file, JSON.stringify({ ...inputs.gate, limits }));
  return { file, limits, standing, target };
}

/** Writes each suite's run as <suite>-latest.json in a fresh directory. */
function writeRuns(run: Map<string, Figure[]>, startedAt = LATER, only?: readonly string[]): string {
  const resultsDir = mkdtempSync(join(dir, 'results-'));
  for (const [suite, figures] of run) {
    if (only && !only.includes(suite)) continue;
    const file: RunFile = { suite, startedAt, quick: false, commit: 'a'.repeat(40), uncommittedChanges: false, figures };
    writeFileSync(join(resultsDir, `${suite}-latest.json`), JSON.stringify(file));
  }
  return resultsDir;
}

function cli(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [CHECK_CLI, ...args], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('bench:check on full runs', () => {
  it('passes a run of every suite that meets every target, regresses nothing and keeps every gate limit', () => {
    const { status, output } = cli('--results-dir', writeRuns(passingRun()));
    expect(output).toContain(`targets (perf/targets.json): ${inputs.targets.targets.length} met, 0 missed, 0 missing`);
    expect(output).toContain(`${inputs.baseline.figures.length} of ${inputs.baseline.figures.length} within their limits`);
    expect(output).toContain(`${inputs.gate.limits.length} of ${inputs.gate.limits.length} ratios within their limits`);
    expect(output).toContain('bench:check: passed');
    expect(status).toBe(0);
  });

  it('fails a planted missed target either way, naming each, with no baseline entry for the figure', () => {
    const below = inputs.targets.targets.find((target) => target.comparison === '<=' && !inputs.baseline.figures.some((entry) => entry.name === target.name))!;
    const above = inputs.targets.targets.find((target) => target.comparison === '>=' && !inputs.baseline.figures.some((entry) => entry.name === target.name))!;
    let run = plant(passingRun(), below.suite, below.name, below.field, below.limit * 1.01);
    run = plant(run, above.suite, above.name, above.field, above.limit * 0.99);
    const { status, output } = cli('--results-dir', writeRuns(run));
    expect(output).toContain(`MISSED   ${below.suite}/${below.name} ${below.field} ${below.limit * 1.01}`);
    expect(output).toContain(`MISSED   ${above.suite}/${above.name} ${above.field} ${above.limit * 0.99}`);
    expect(output).toContain('targets (perf/targets.json): ');
    expect(output).toContain(', 2 missed, 0 missing');
    expect(status).toBe(1);
  });

  it('fails a target whose figure is not in the run, and every target of a suite with no run, as missing', () => {
    const target = inputs.targets.targets.find((candidate) => candidate.suite === 'restart')!;
    const { status, output } = cli('--results-dir', writeRuns(plant(passingRun(), target.suite, target.name, target.field, undefined)));
    expect(output).toContain(`MISSING  ${target.suite}/${target.name}: ${target.name} is not in the ${target.suite} run`);
    expect(status).toBe(1);
    const withoutMape = cli('--results-dir', writeRuns(passingRun(), LATER, suites.filter((suite) => suite !== 'mape')));
    const mapeTargets = inputs.targets.targets.filter((candidate) => candidate.suite === 'mape');
    expect(mapeTargets.length).toBeGreaterThan(0);
    for (const missing of mapeTargets) expect(withoutMape.output).toContain(`MISSING  mape/${missing.name}: no run of the mape suite`);
    expect(withoutMape.status).toBe(1);
  });

  it('fails a planted regression past the baseline tolerance, whichever way is better', () => {
    const untargeted = inputs.baseline.figures.filter((entry) => !inputs.targets.targets.some((target) => target.suite === entry.suite && target.name === entry.name));
    const lower = untargeted.find((entry) => entry.better === 'lower' && entry.value > 0)!;
    const higher = untargeted.find((entry) => entry.better === 'higher' && entry.tolerance > 0)!;
    for (const [entry, factor] of [
      [lower, 1 + lower.tolerance + 0.05],
      [higher, 1 - higher.tolerance - 0.05],
    ] as const) {
      const { status, output } = cli('--results-dir', writeRuns(plant(passingRun(), entry.suite, entry.name, entry.field, entry.value * factor)));
      expect(output).toMatch(new RegExp(`REGRESSED ${entry.suite}/${entry.name} ${entry.field} `));
      expect(output).toContain(`targets (perf/targets.json): ${inputs.targets.targets.length} met`);
      expect(status).toBe(1);
    }
  });

  it('never lets a tolerance admit a value past the target: the limit is the target', () => {
    for (const entry of inputs.baseline.figures) {
      const target = inputs.targets.targets.find((candidate) => candidate.suite === entry.suite && candidate.name === entry.name && candidate.field === entry.field);
      if (target) expect(passes(target.comparison, limitOf(entry, inputs.targets.targets).limit, target.limit), `${entry.name}`).toBe(true);
    }
    // crash_to_serving p99: the baseline (22.62 ms) with its tolerance would allow 45 ms; the target is 20.
    const entry = inputs.baseline.figures.find((candidate) => candidate.name === 'crash_to_serving_ms_throw' && candidate.field === 'p99')!;
    const loose = entry.value * (1 + entry.tolerance);
    const target = inputs.targets.targets.find((candidate) => candidate.name === entry.name && candidate.field === 'p99')!;
    expect(loose).toBeGreaterThan(target.limit);
    const between = (loose + target.limit) / 2;
    const { status, output } = cli('--results-dir', writeRuns(plant(passingRun(), 'restart', entry.name, 'p99', between)));
    expect(output).toContain(`MISSED   restart/${entry.name} p99 ${between}`);
    expect(output).toContain(`REGRESSED restart/${entry.name} p99 ${between}: must be ≤ the target, ${target.limit}`);
    expect(status).toBe(1);
  });

  it('does not compare the baseline own run (or an older one) with the baseline, and still judges its targets', () => {
    const [suite, run] = Object.entries(inputs.baseline.runs)[0]!;
    const target = inputs.targets.targets.find((candidate) => candidate.suite === suite)!;
    const missed = plant(passingRun(), target.suite, target.name, target.field, target.comparison === '<=' ? target.limit * 2 : target.limit / 2);
    for (const startedAt of [run.startedAt, new Date(Date.parse(run.startedAt) - 1_000).toISOString()]) {
      const { status, output } = cli('--results-dir', writeRuns(missed, startedAt));
      expect(output).toMatch(new RegExp(`not compared: ${suite}: ${suite}-latest\\.json (is the baseline's own run|\\(.*\\) is older than the baseline's run)`));
      expect(output).not.toMatch(new RegExp(`(ok|REGRESSED) +${suite}/`));
      expect(output).toContain(`MISSED   ${target.suite}/${target.name}`);
      expect(status).toBe(1);
    }
  });

  it('fails a gate ratio past its limit, in a full run and in a results file of the gate alone', () => {
    const limit = inputs.gate.limits.find((candidate) => candidate.comparison === '<=' && !candidate.target)!;
    const run = plant(passingRun(), inputs.gate.suite, limit.name, limit.field, limit.limit * 1.5);
    const full = cli('--results-dir', writeRuns(run));
    expect(full.output).toContain(`FAILED   ${inputs.gate.suite}/${limit.name} ${limit.field} ${limit.limit * 1.5}`);
    expect(full.status).toBe(1);
    const file = join(dir, 'gate-only.json');
    writeFileSync(file, JSON.stringify({ suite: inputs.gate.suite, startedAt: LATER, quick: true, commit: null, uncommittedChanges: null, figures: run.get(inputs.gate.suite)! } satisfies RunFile));
    const alone = cli('--results', file);
    expect(alone.output).toContain(`FAILED   ${inputs.gate.suite}/${limit.name}`);
    expect(alone.status).toBe(1);
  });
});

describe('bench:check inputs', () => {
  it('holds a gate ratio that measures a target to the target itself: moving the target moves the CI limit', () => {
    const { file: gateLimitsFile, standing, target } = gateLimitsStandingForTarget();
    const moved = { ...inputs.targets, targets: inputs.targets.targets.map((candidate) => (candidate === target ? { ...candidate, limit: target.limit * 2 } : candidate)) };
    const targetsFile = join(dir, 'targets-moved.json');
    writeFileSync(targetsFile, JSON.stringify(moved));
    const gateFile = join(dir, 'gate-at-old-target.json');
    const atOldTarget = plant(passingRun(), inputs.gate.suite, standing.name, standing.field, target.limit).get(inputs.gate.suite)!;
    writeFileSync(gateFile, JSON.stringify({ suite: inputs.gate.suite, startedAt: LATER, quick: true, commit: null, uncommittedChanges: null, figures: atOldTarget } satisfies RunFile));
    const { status, output } = cli('--targets', targetsFile, '--gate-limits', gateLimitsFile, '--results', gateFile);
    const relation = target.comparison === '<=' ? '≤' : '≥';
    expect(output).toContain(`${inputs.gate.suite}/${standing.name} ${standing.field} ${target.limit}: limit ${standing.field} ${relation} ${(target.limit * 2).toLocaleString('en-US', { maximumFractionDigits: 6 })} (the target of ${standing.target})`);
    expect(status).toBe(target.comparison === '>=' ? 1 : 0);
  });

  it('refuses gate limits that give both a limit and a target, or name a target that does not exist (exit 2)', () => {
    const { limits: asWritten, standing } = gateLimitsStandingForTarget();
    const index = asWritten.findIndex((limit) => limit.name === standing.name);
    const replaced = (entry: object) => asWritten.map((limit, i) => (i === index ? { ...limit, ...entry } : limit));
    for (const [name, limits, expected] of [
      ['both.json', replaced({ limit: 1 }), 'give a limit or the target it stands for, not both'],
      ['unknown.json', replaced({ target: 'pqc/no_such_figure' }), 'stands for pqc/no_such_figure, which has no target'],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify({ ...inputs.gate, limits }));
      const { status, output } = cli('--gate-limits', file, '--results-dir', writeRuns(passingRun()));
      expect(output).toContain(expected);
      expect(status).toBe(2);
    }
  });

  it('refuses a results file that is missing, not JSON, does not match the schema, or is too large (exit 2)', () => {
    const missing = cli('--results', join(dir, 'none.json'));
    expect(missing.output).toContain('none.json: cannot be read');
    expect(missing.status).toBe(2);
    const cases = [
      ['not-json.json', '{"suite": "bus", ', 'is not JSON'],
      ['bad-schema.json', JSON.stringify({ suite: 'bus', startedAt: 'yesterday', quick: false, commit: null, uncommittedChanges: null, figures: [] }), 'startedAt'],
      ['too-large.json', ' '.repeat(16 * 1024 * 1024 + 1), 'more than the 16777216 allowed'],
    ] as const;
    for (const [name, text, expected] of cases) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const { status, output } = cli('--results', file);
      expect(output).toContain(`${name}: `);
      expect(output).toContain(expected);
      expect(status).toBe(2);
    }
  });

  it('keeps perf/baseline.json equal to the earlier runs it names', async () => {
    const { readRun } = await import('../../../perf/dashboard/results-file.js');
    const root = fileURLToPath(new URL('../../../../', import.meta.url));
    for (const [suite, baseRun] of Object.entries(inputs.baseline.runs)) {
      const run = readRun(join(root, baseRun.results));
      expect(run.startedAt, `${suite}: ${baseRun.results}`).toBe(baseRun.startedAt);
      for (const entry of inputs.baseline.figures.filter((candidate) => candidate.suite === suite)) {
        expect(run.figures.find((figure) => figure.name === entry.name)?.[entry.field], `${suite}/${entry.name}`).toBe(entry.value);
      }
    }
  });
});
