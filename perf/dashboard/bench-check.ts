/**
 * What `bench:check` decides, apart from reading files and argv (check-cli.ts): given runs by
 * suite, it judges every target of the suites in scope, the regressions against the baseline,
 * and the gate limits, and says in lines what passed and what did not. Anything but a met target,
 * a figure within its regression limit or a gate ratio within its limit counts as a failure; a
 * suite not compared with the baseline (its own run, or an older one) is said, not counted.
 */
import { BASELINE_PATH, loadBaseline, type Baseline } from './baseline.js';
import { checkGate, describeGateVerdict, GATE_LIMITS_PATH, loadGateLimits, type GateLimits } from './gate-limits.js';
import { checkRegressions, describeRegression } from './regression-check.js';
import type { Run } from './results-file.js';
import { checkTarget, describeTargetVerdict } from './target-check.js';
import { loadTargets, TARGETS_PATH, type Targets } from './targets.js';

export interface CheckInputs {
  targets: Targets;
  baseline: Baseline;
  gate: GateLimits;
}

export interface CheckOutcome {
  lines: string[];
  failures: number;
}

export function loadCheckInputs(paths: { targets?: string; baseline?: string; gateLimits?: string } = {}): CheckInputs {
  const targets = loadTargets(paths.targets ?? TARGETS_PATH);
  return { targets, baseline: loadBaseline(paths.baseline ?? BASELINE_PATH), gate: loadGateLimits(targets.targets, paths.gateLimits ?? GATE_LIMITS_PATH) };
}

/** Every suite a full check expects a run of: those with targets, a baseline, or gate limits. */
export function expectedSuites(inputs: CheckInputs): string[] {
  return [...new Set([...inputs.targets.targets.map((target) => target.suite), ...Object.keys(inputs.baseline.runs), inputs.gate.suite])];
}

/**
 * Judges `runs`. `suites` are those in scope: every expected suite for a full check (a suite
 * without a run then fails each of its targets as missing), or those a given results file holds.
 */
export function checkRuns(inputs: CheckInputs, runs: ReadonlyMap<string, Run>, suites: readonly string[]): CheckOutcome {
  const lines: string[] = [];
  let failures = 0;

  const targetVerdicts = inputs.targets.targets.filter((target) => suites.includes(target.suite)).map((target) => checkTarget(target, runs.get(target.suite)));
  const count = (status: string) => targetVerdicts.filter((verdict) => verdict.status === status).length;
  lines.push(`targets (perf/targets.json): ${count('met')} met, ${count('missed')} missed, ${count('missing')} missing`);
  for (const verdict of targetVerdicts) lines.push(`  ${describeTargetVerdict(verdict)}`);
  failures += targetVerdicts.length - count('met');

  const inScope = new Map([...runs].filter(([suite]) => suites.includes(suite)));
  const regressions = checkRegressions(inputs.baseline, inputs.targets.targets, inScope);
  const regressed = regressions.verdicts.filter((verdict) => !verdict.ok).length;
  const bases = Object.entries(inputs.baseline.runs)
    .filter(([suite]) => inScope.has(suite))
    .map(([suite, run]) => `${suite} ${run.startedAt}`)
    .join(', ');
  lines.push(`regressions against perf/baseline.json (earlier runs: ${bases || 'none in scope'}): ${regressions.verdicts.length - regressed} of ${regressions.verdicts.length} within their limits`);
  for (const verdict of regressions.verdicts) lines.push(`  ${describeRegression(verdict)}`);
  for (const { suite, why } of regressions.notCompared) lines.push(`  not compared: ${suite}: ${why}`);
  failures += regressed;

  const gateRun = inScope.get(inputs.gate.suite);
  if (gateRun) failures += gateLines(inputs.gate, gateRun, lines);
  else if (suites.includes(inputs.gate.suite)) lines.push(`gate limits (perf/gate-limits.json): no ${inputs.gate.suite} run to check (npm run bench -- ${inputs.gate.suite}; npm test checks a --quick one)`);
  return { lines, failures };
}

/** The gate limits alone, for the quick run CI makes. */
export function checkGateRun(gate: GateLimits, run: Run): CheckOutcome {
  const lines: string[] = [];
  const failures = gateLines(gate, run, lines);
  return { lines, failures };
}

function gateLines(gate: GateLimits, run: Run, lines: string[]): number {
  const verdicts = checkGate(gate, run.figures);
  const failed = verdicts.filter((verdict) => !verdict.ok).length;
  lines.push(`gate limits (perf/gate-limits.json): ${verdicts.length - failed} of ${verdicts.length} ratios within their limits`);
  for (const verdict of verdicts) lines.push(`  ${describeGateVerdict(gate.suite, verdict)}`);
  return failed;
}

export function summary(outcome: CheckOutcome): string {
  return outcome.failures === 0 ? 'bench:check: passed' : `bench:check: FAILED (${outcome.failures} ${outcome.failures === 1 ? 'failure' : 'failures'}, each marked above)`;
}
