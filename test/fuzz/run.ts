/**
 * `npm run fuzz -- <suite|all> [--runs N] [--seed S] [--target NAME] [--path P] [--suites-module FILE]`
 *
 * Runs every target of a suite (or of every suite) for N cases each (default 1,000,000), printing
 * one JSON line per target and a summary. On the first failure it prints the failure's line (the
 * counterexample, the finding, and the seed and path that replay it) and exits 1; 2 is a usage
 * error. `--suites-module` adds suites from a compiled module exporting `fuzzSuites` (how a test
 * runs a planted forgery through this command).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import type { FuzzSuiteEntry } from './fuzz-target.js';
import { runSuite, type TargetReport } from './fuzz-runner.js';
import { FUZZ_SUITES } from './fuzz-suites.js';

/** What "on request" means in the issue: a million cases per parser. */
export const DEFAULT_RUNS = 1_000_000;

function count(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) throw new InvalidArgumentError('a positive integer');
  return number;
}

function seedValue(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new InvalidArgumentError('an integer');
  return number;
}

const program = new Command()
  .name('npm run fuzz --')
  .argument('<suite>', 'a suite name, or all')
  .option('--runs <n>', 'cases per target', count, DEFAULT_RUNS)
  .option('--seed <n>', 'fast-check seed (default: from the clock, printed)', seedValue)
  .option('--target <name>', 'only this target of the suite')
  .option('--path <path>', "fast-check replay path (from a failure's report)")
  .option('--suites-module <file>', 'a compiled module exporting more suites as `fuzzSuites`')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse();

const options = program.opts<{ runs: number; seed?: number; target?: string; path?: string; suitesModule?: string }>();
const suites: Record<string, FuzzSuiteEntry> = { ...FUZZ_SUITES };
if (options.suitesModule !== undefined) {
  const loaded = (await import(pathToFileURL(resolve(options.suitesModule)).href)) as { fuzzSuites?: Record<string, FuzzSuiteEntry> };
  Object.assign(suites, loaded.fuzzSuites ?? {});
}
const requested = program.args[0]!;
const names = requested === 'all' ? Object.keys(FUZZ_SUITES) : [requested];
const unknown = names.find((name) => !(name in suites));
if (unknown !== undefined) {
  process.stderr.write(`unknown fuzz suite '${unknown}' (known: ${Object.keys(suites).join(', ')}, all)\n`);
  process.exit(2);
}
if (options.target !== undefined && !names.some((name) => suites[name]!.targets.includes(options.target!))) {
  process.stderr.write(`no target '${options.target}' in ${names.join(', ')}\n`);
  process.exit(2);
}

const seed = options.seed ?? (Date.now() ^ 0x5eed);
const print = (line: TargetReport | Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const started = performance.now();
let targets = 0;
for (const name of names) {
  const entry = suites[name]!;
  if (options.target !== undefined && !entry.targets.includes(options.target)) continue;
  const passed = await runSuite(name, await entry.build(), { runs: options.runs, seed, ...(options.path !== undefined ? { path: options.path } : {}), ...(options.target !== undefined ? { only: options.target } : {}) }, (line) => {
    print(line);
    if ('failed' in line) process.stderr.write(`fuzz target ${line.suite}/${line.target} failed: ${line.error}\nreplay: ${line.replay}\n`);
    else targets++;
  });
  if (!passed) process.exit(1);
}
print({ suites: names, targets, runsPerTarget: options.runs, seed, seconds: Math.round((performance.now() - started) / 100) / 10, failed: false });
