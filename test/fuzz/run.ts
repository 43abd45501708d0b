/**
 * `npm run fuzz -- <suite> [--runs N] [--seed S]`: runs a suite's fuzz targets with fast-check,
 * N cases in all (default 1,000,000, split evenly), and prints one JSON line per target and a
 * summary. Exit 1 with the counterexample (and the seed to replay it) on the first failure.
 */
import fc from 'fast-check';
import { Command } from 'commander';
import { pqcTargets } from './pqc-targets.js';

const SUITES: Record<string, () => Promise<Array<{ name: string; property: fc.IProperty<[Uint8Array]> }>>> = {
  pqc: pqcTargets as never,
};

const program = new Command()
  .argument('<suite>', `one of: ${Object.keys(SUITES).join(', ')}`)
  .option('--runs <n>', 'cases in all', '1000000')
  .option('--seed <n>', 'fast-check seed (default: random, printed)')
  .parse();

const suite = program.args[0]!;
const options = program.opts<{ runs: string; seed?: string }>();
const load = SUITES[suite];
if (!load) {
  process.stderr.write(`unknown fuzz suite '${suite}' (known: ${Object.keys(SUITES).join(', ')})\n`);
  process.exit(2);
}
const targets = await load();
const total = Number(options.runs);
const perTarget = Math.ceil(total / targets.length);
const seed = options.seed !== undefined ? Number(options.seed) : Date.now() ^ 0x5eed;
let cases = 0;
const started = performance.now();
for (const target of targets) {
  const t0 = performance.now();
  const result = fc.check(target.property, { numRuns: perTarget, seed });
  if (result.failed) {
    process.stdout.write(`${JSON.stringify({ suite, target: target.name, failed: true, seed, counterexample: String(result.counterexample), error: String(result.errorInstance) })}\n`);
    process.exit(1);
  }
  cases += result.numRuns;
  process.stdout.write(`${JSON.stringify({ suite, target: target.name, cases: result.numRuns, seconds: Math.round((performance.now() - t0) / 100) / 10 })}\n`);
}
process.stdout.write(`${JSON.stringify({ suite, targets: targets.length, cases, seed, seconds: Math.round((performance.now() - started) / 100) / 10, failed: false })}\n`);
