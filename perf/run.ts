/**
 * The benchmark runner: `node dist/perf/run.js <suite> [--quick]` (or `npm run bench -- <suite>`).
 * Prints one JSON line per figure on stdout, progress on stderr, and keeps the run's figures in
 * perf/results/<suite>-<timestamp>.json and perf/results/<suite>-latest.json.
 */
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { FigureSink, progress, saveResults } from './stats.js';
import { busSuite } from './suites/bus.js';
import { restartSuite } from './suites/restart.js';
import { mapeSuite } from './suites/mape.js';
import { identitySuite } from './suites/identity.js';
import { pqcSuite } from './suites/pqc.js';
import type { Suite } from './suites/suite.js';

export const SUITES: readonly Suite[] = [busSuite, restartSuite, mapeSuite, identitySuite, pqcSuite];

/** Where results go: perf/results in the source tree (this file runs from dist/perf/). */
const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../../perf/results/', import.meta.url));

/** Exit code for a usage error (unknown or missing suite, unknown option). */
const EXIT_USAGE = 2;

function suiteList(): string {
  return SUITES.map((suite) => `  ${suite.name.padEnd(8)} ${suite.description}`).join('\n');
}

async function runSuite(suite: Suite, options: { quick: boolean; save: boolean; resultsDir: string }): Promise<void> {
  const startedAt = new Date();
  const sink = new FigureSink();
  progress(`suite ${suite.name}${options.quick ? ' (quick)' : ''} started`);
  await suite.run({ quick: options.quick, sink });
  const seconds = ((Date.now() - startedAt.getTime()) / 1_000).toFixed(1);
  if (options.save) {
    const files = saveResults(options.resultsDir, suite.name, sink.figures, startedAt);
    progress(`suite ${suite.name}: ${sink.figures.length} figures in ${seconds} s, written to ${files.run} and ${files.latest}`);
  } else {
    progress(`suite ${suite.name}: ${sink.figures.length} figures in ${seconds} s (not saved)`);
  }
}

const program = new Command()
  .name('bench')
  .exitOverride()
  .description(`x0tta6bl4 benchmarks. Suites:\n${suiteList()}`)
  .argument('<suite>', `one of: ${SUITES.map((suite) => suite.name).join(', ')}, or all`)
  .option('--quick', 'reduced counts (bus and restart in under two minutes together; mape in about four)', false)
  .option('--no-save', 'do not write perf/results/')
  .addOption(new Option('--results-dir <dir>', 'where to write results').default(DEFAULT_RESULTS_DIR, 'perf/results'))
  .action(async (name: string, options: { quick: boolean; save: boolean; resultsDir: string }) => {
    const selected = name === 'all' ? SUITES : SUITES.filter((suite) => suite.name === name);
    if (selected.length === 0) {
      process.stderr.write(`unknown suite '${name}'; suites:\n${suiteList()}\n  all      every suite in turn\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    for (const suite of selected) await runSuite(suite, options);
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
