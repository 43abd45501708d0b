/**
 * The benchmark runner: `node dist/perf/run.js <suite> [--quick]` (or `npm run bench -- <suite>`).
 * Prints one JSON line per figure on stdout, progress on stderr, and keeps the run's figures in
 * perf/results/<suite>-<timestamp>.json and perf/results/<suite>-latest.json, with the commit
 * they measured (perf/dashboard/results-file.ts).
 */
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { FigureSink, progress } from './stats.js';
import { SUITES } from './run-suites.js';
import { BASELINE_PATH } from './dashboard/baseline.js';
import { loadCheckInputs } from './dashboard/bench-check.js';
import { renderReport } from './dashboard/html-report.js';
import { saveRunRecord, saveSuiteRun, type RunFile } from './dashboard/results-file.js';
import { sourceCommit, type SourceCommit } from './dashboard/source-commit.js';
import type { Figure } from './stats.js';
import type { Suite } from './suites/suite.js';
import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export { SUITES };

/** Where results go: perf/results in the source tree (this file runs from dist/perf/). */
const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../../perf/results/', import.meta.url));

/** Exit code for a usage error (unknown or missing suite, unknown option). */
const EXIT_USAGE = 2;

function suiteList(): string {
  return SUITES.map((suite) => `  ${suite.name.padEnd(8)} ${suite.description}`).join('\n');
}

function host(): NonNullable<RunFile['host']> {
  return { cpus: cpus().length, load1: loadavg()[0]!, node: process.version };
}

async function runSuite(suite: Suite, source: SourceCommit, options: { quick: boolean; save: boolean; resultsDir: string }): Promise<Figure[]> {
  const startedAt = new Date();
  const sink = new FigureSink();
  progress(`suite ${suite.name}${options.quick ? ' (quick)' : ''} started`);
  await suite.run({ quick: options.quick, sink });
  const seconds = ((Date.now() - startedAt.getTime()) / 1_000).toFixed(1);
  if (options.save) {
    const files = saveSuiteRun(options.resultsDir, { suite: suite.name, startedAt: startedAt.toISOString(), quick: options.quick, ...source, host: host(), figures: sink.figures });
    progress(`suite ${suite.name}: ${sink.figures.length} figures in ${seconds} s, written to ${files.run} and ${files.latest}`);
  } else {
    progress(`suite ${suite.name}: ${sink.figures.length} figures in ${seconds} s (not saved)`);
  }
  return sink.figures;
}

/**
 * `--report`: the whole run as perf/results/<timestamp>.json, and a static HTML page: perf/report.html
 * beside perf/baseline.json for a run into the default results directory, else beside the run's JSON.
 */
function writeReport(resultsDir: string, run: RunFile): { json: string; html: string } {
  const json = saveRunRecord(resultsDir, run);
  const html = resolve(resultsDir) === resolve(DEFAULT_RESULTS_DIR) ? join(dirname(BASELINE_PATH), 'report.html') : json.replace(/\.json$/, '.html');
  writeFileSync(html, renderReport(run, loadCheckInputs()));
  return { json, html };
}

const program = new Command()
  .name('bench')
  .exitOverride()
  .description(`x0tta6bl4 benchmarks. Suites:\n${suiteList()}`)
  .argument('<suite>', `one of: ${SUITES.map((suite) => suite.name).join(', ')}, or all`)
  .option('--quick', 'reduced counts (bus and restart in under two minutes together; mape in about four)', false)
  .option('--no-save', 'do not write perf/results/')
  .option('--report', 'also write the whole run as perf/results/<timestamp>.json and an HTML report with charts', false)
  .addOption(new Option('--results-dir <dir>', 'where to write results').default(DEFAULT_RESULTS_DIR, 'perf/results'))
  .action(async (name: string, options: { quick: boolean; save: boolean; resultsDir: string; report: boolean }) => {
    const selected = name === 'all' ? SUITES : SUITES.filter((suite) => suite.name === name);
    if (selected.length === 0) {
      process.stderr.write(`unknown suite '${name}'; suites:\n${suiteList()}\n  all      every suite in turn\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    const startedAt = new Date().toISOString();
    // Read once, before any suite runs: the source the run measures (the tree is expected to be built from it).
    const source = sourceCommit();
    const figures: Figure[] = [];
    for (const suite of selected) figures.push(...(await runSuite(suite, source, options)));
    if (options.report) {
      const files = writeReport(options.resultsDir, { startedAt, quick: options.quick, ...source, host: host(), figures });
      progress(`report: ${files.json} and ${files.html}`);
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help); a usage error also lists the suites.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') {
      process.exitCode = 0;
    } else {
      process.stderr.write(`suites:\n${suiteList()}\n  all      every suite in turn\n`);
      process.exitCode = EXIT_USAGE;
    }
  } else {
    process.stderr.write(`[perf] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
