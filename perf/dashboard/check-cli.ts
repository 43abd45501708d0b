/**
 * `npm run bench:check [-- options]`: exits 1 when a figure misses its target, regresses past its
 * limit against the baseline (an earlier run), or a gate ratio leaves its limit; each is named.
 *   (default)      every suite's latest run in perf/results (<suite>-latest.json): every target,
 *                  the regressions, the gate limits; a suite without a run fails its targets;
 *   --results F    the suites in one results file or run record;
 *   --quick-run    runs the gate suite --quick in a child process (killed if it hangs: see
 *                  quick-gate-run.ts), without saving it, and checks the gate limits only (what
 *                  `npm test` ends with: targets and regressions need full runs).
 * --results-dir, --targets, --baseline and --gate-limits point at other files (tests use them).
 * A targets, baseline, limits or results file that cannot be used exits 2, naming it.
 */
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { BASELINE_PATH } from './baseline.js';
import { checkGateRun, checkRuns, expectedSuites, loadCheckInputs, summary, type CheckInputs, type CheckOutcome } from './bench-check.js';
import { GATE_LIMITS_PATH } from './gate-limits.js';
import { DashboardInputError } from './json-file.js';
import { runQuickGate } from './quick-gate-run.js';
import { latestRuns, readRun, type Run } from './results-file.js';
import { TARGETS_PATH } from './targets.js';

const RESULTS_DIR = fileURLToPath(new URL('../../../perf/results/', import.meta.url));
const EXIT_BAD_INPUT = 2;

interface Options {
  results?: string;
  quickRun: boolean;
  resultsDir: string;
  targets: string;
  baseline: string;
  gateLimits: string;
}

const options = new Command()
  .option('--results <file>', 'a suite results file or a run record')
  .option('--quick-run', 'run the gate suite --quick and check the gate limits', false)
  .option('--results-dir <dir>', 'where the latest runs are', RESULTS_DIR)
  .option('--targets <file>', 'the targets', TARGETS_PATH)
  .option('--baseline <file>', 'the regression baseline', BASELINE_PATH)
  .option('--gate-limits <file>', 'the gate limits', GATE_LIMITS_PATH)
  .parse()
  .opts<Options>();

/** A run record's figures, one Run per suite. */
function bySuite(run: Run): Map<string, Run> {
  const runs = new Map<string, Run>();
  for (const suite of new Set(run.figures.map((figure) => figure.suite))) runs.set(suite, { ...run, figures: run.figures.filter((figure) => figure.suite === suite) });
  return runs;
}

async function quickGate(inputs: CheckInputs): Promise<CheckOutcome> {
  const startedAt = new Date().toISOString();
  const run = await runQuickGate(inputs.gate.suite);
  const outcome = checkGateRun(inputs.gate, { file: '(this quick run)', startedAt, quick: true, commit: null, uncommittedChanges: null, figures: run.figures });
  if (!run.ok) {
    outcome.lines.push(`FAILED   ${run.why}`);
    outcome.failures += 1;
  }
  outcome.lines.push('(targets and regressions are judged on full runs: npm run bench -- all, then npm run bench:check)');
  return outcome;
}

async function check(): Promise<CheckOutcome> {
  const inputs = loadCheckInputs(options);
  if (options.quickRun) return quickGate(inputs);
  if (options.results) {
    const runs = bySuite(readRun(options.results));
    return checkRuns(inputs, runs, [...runs.keys()]);
  }
  const suites = expectedSuites(inputs);
  return checkRuns(inputs, latestRuns(options.resultsDir, suites), suites);
}

try {
  const outcome = await check();
  for (const line of outcome.lines) process.stdout.write(`${line}\n`);
  process.stdout.write(`${summary(outcome)}\n`);
  process.exitCode = outcome.failures > 0 ? 1 : 0;
} catch (error) {
  if (!(error instanceof DashboardInputError)) throw error;
  process.stderr.write(`bench:check: ${error.message}\n`);
  process.exitCode = EXIT_BAD_INPUT;
}
