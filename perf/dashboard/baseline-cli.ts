/**
 * `npm run bench:baseline -- perf/results/<suite>-<time>.json ...`: makes those full runs the
 * regression baseline of their suites (baseline-update.ts) and writes perf/baseline.json. Run it
 * after a full run has been checked and accepted; the next run is then compared with it.
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { BASELINE_PATH, baselineSchema, loadBaseline } from './baseline.js';
import { baselineFrom } from './baseline-update.js';
import { DashboardInputError } from './json-file.js';
import { readRun } from './results-file.js';
import { REPO_ROOT } from './source-commit.js';

const program = new Command()
  .argument('<files...>', "suite results files (perf/results/<suite>-<time>.json), each a full run")
  .option('--baseline <file>', 'the baseline to update', BASELINE_PATH)
  .parse();
const options = program.opts<{ baseline: string }>();

try {
  const runs = (program.args as string[]).map((file) => {
    const run = readRun(file);
    const suites = [...new Set(run.figures.map((figure) => figure.suite))];
    if (suites.length !== 1) throw new DashboardInputError(file, `holds ${suites.length} suites (${suites.join(', ')}): give one suite's results file`);
    return { suite: suites[0]!, run };
  });
  const updated = baselineSchema.parse(baselineFrom(loadBaseline(options.baseline), runs, REPO_ROOT));
  writeFileSync(options.baseline, `${JSON.stringify(updated, null, 1)}\n`);
  for (const { suite, run } of runs) process.stdout.write(`baseline of ${suite}: ${run.file} (${run.startedAt}, commit ${run.commit ?? 'not recorded'})\n`);
} catch (error) {
  if (!(error instanceof DashboardInputError)) throw error;
  process.stderr.write(`bench:baseline: ${error.message}\n`);
  process.exitCode = 2;
}
