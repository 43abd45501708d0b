/**
 * `npm run bench:check [-- --results FILE] [--quick-run]`: compares figures with
 * perf/baseline.json and exits 1 when one regressed beyond its tolerance (each listed).
 *   default       the latest full run of every suite (perf/results/<suite>-latest.json);
 *   --results     a run record (perf/results/<timestamp>.json) or a suite's results file;
 *   --quick-run   runs the suites with quick-checked figures in --quick mode first, without
 *                 saving, and checks those figures (what CI does).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { FigureSink, type Figure } from '../stats.js';
import { loadBaseline } from './baseline.js';
import { checkFigures, describeVerdict } from './check.js';

const RESULTS_DIR = fileURLToPath(new URL('../../../perf/results/', import.meta.url));

function readFigures(file: string): Figure[] {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Figure[] | { figures: Figure[] };
  return Array.isArray(data) ? data : data.figures;
}

const options = new Command()
  .option('--results <file>', 'a run record or a suite results file')
  .option('--baseline <file>', 'the baseline (default perf/baseline.json)')
  .option('--quick-run', 'run the quick-checked suites in --quick mode and check their figures', false)
  .parse()
  .opts<{ results?: string; baseline?: string; quickRun: boolean }>();

const baseline = loadBaseline(options.baseline);
let figures: Figure[];
if (options.quickRun) {
  const { SUITES } = await import('../run-suites.js');
  const wanted = new Set(baseline.figures.filter((entry) => entry.quick).map((entry) => entry.suite));
  const sink = new FigureSink();
  for (const suite of SUITES.filter((candidate) => wanted.has(candidate.name))) await suite.run({ quick: true, sink });
  figures = sink.figures;
} else if (options.results) {
  figures = readFigures(options.results);
} else {
  figures = Object.keys(baseline.commands)
    .map((suite) => join(RESULTS_DIR, `${suite}-latest.json`))
    .filter((file) => existsSync(file))
    .flatMap(readFigures);
}
const verdicts = checkFigures(baseline, figures, { quickOnly: options.quickRun });
for (const verdict of verdicts) process.stdout.write(`${describeVerdict(verdict)}\n`);
const failed = verdicts.filter((verdict) => !verdict.ok);
process.stdout.write(`bench:check: ${verdicts.length - failed.length} of ${verdicts.length} guarded figures within tolerance\n`);
process.exitCode = failed.length > 0 ? 1 : 0;
