#!/usr/bin/env node
// The runtime's hot paths measured by the SAME code against two builds: this checkout's dist/ and a
// base ref's (checked out and built in a temporary worktree sharing node_modules). Unlike
// bench-side-by-side.sh, which runs each side's own suite code (valid only while the suites did not
// change between the refs), this isolates the runtime: both sides load the same measurement below,
// through the bench fixtures both trees have (bench-node, bus-driver, bench-paths, fixture-paths).
//   node scripts/runtime-side-by-side.mjs BASE_REF [ROUNDS]      (default 5 rounds, alternating sides)
// Prints one JSON line per figure: each side's median over rounds of the per-round medians.
// A base that imports packages this checkout no longer has needs them installed (npm install --no-save).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = 20_000;
const THROUGHPUT_ROUNDS = 12;
const WARMUP = 3;
const CRASHES = 40;

/** One side's figures, in a child process so each side has its own module graph. */
async function measure(root) {
  const { startBenchNode } = await import(`${root}/dist/perf/fixtures/bench-node.js`);
  const { SinkDriver } = await import(`${root}/dist/perf/fixtures/bus-driver.js`);
  const { SINK_ACTOR, RELAY_ACTOR } = await import(`${root}/dist/perf/fixtures/bench-paths.js`);
  const { COUNTER_ACTOR } = await import(`${root}/dist/test/fixtures/fixture-paths.js`);
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const figures = {};
  for (const [label, maxBatch] of [['batched', undefined], ['unbatched', 1]]) {
    const bench = await startBenchNode({
      ...(maxBatch ? { maxBatch } : {}),
      children: [
        { kind: 'actor', id: 'sink', module: SINK_ACTOR, subscribes: ['bench.msg'] },
        { kind: 'actor', id: 'relay', module: RELAY_ACTOR, subscribes: ['bench.relay'] },
        { kind: 'actor', id: 'inline-sink', module: SINK_ACTOR, subscribes: ['bench.inline'], host: 'inline' },
      ],
    });
    const driver = new SinkDriver(bench.node);
    const rates = { worker: [], worker_to_worker: [], inline: [] };
    for (let round = 0; round < THROUGHPUT_ROUNDS + WARMUP; round++) {
      const worker = N / (await driver.floodAndWait('bench.msg', 'sink', N)) * 1000;
      const relayed = N / (await driver.floodAndWait('bench.relay', 'sink', N)) * 1000;
      const inline = N / (await driver.floodAndWait('bench.inline', 'inline-sink', N)) * 1000;
      if (round < WARMUP) continue;
      rates.worker.push(worker);
      rates.worker_to_worker.push(relayed);
      rates.inline.push(inline);
    }
    for (const [path, samples] of Object.entries(rates)) figures[`${path}_msgs_per_s_${label}`] = Math.round(median(samples));
    await bench.cleanup();
  }
  for (const kind of ['throw', 'exit']) {
    const bench = await startBenchNode({
      config: { supervision: { intensity: 100_000, backoff: { minMs: 0, maxMs: 0, jitter: 0 } } },
      children: [{ kind: 'actor', id: 'counter', module: COUNTER_ACTOR, subscribes: ['test.increment'] }],
    });
    const restarts = () => bench.node.tree().children.find((child) => child.id === 'counter').restarts;
    const samples = [];
    for (let crash = 0; crash < CRASHES; crash++) {
      await bench.node.request('counter', 'test.get', {}, { timeoutMs: 10_000 });
      const before = restarts();
      const started = performance.now();
      await bench.node.crash('counter', kind);
      while (restarts() === before) await new Promise((turn) => setImmediate(turn));
      for (;;) {
        try {
          await bench.node.request('counter', 'test.get', {}, { timeoutMs: 5_000 });
          break;
        } catch {
          await new Promise((turn) => setImmediate(turn));
        }
      }
      samples.push(performance.now() - started);
    }
    figures[`crash_to_serving_ms_${kind}`] = +median(samples).toFixed(2);
    await bench.cleanup();
  }
  return figures;
}

if (process.argv[2] === '--measure') {
  console.log(JSON.stringify(await measure(process.argv[3])));
  process.exit(0);
}

const baseRef = process.argv[2];
const rounds = Number(process.argv[3] ?? 5);
if (!baseRef) {
  console.error('usage: node scripts/runtime-side-by-side.mjs BASE_REF [ROUNDS]');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'x0tta6bl4-side-'));
const base = join(work, 'base');
try {
  execFileSync('git', ['worktree', 'add', '--detach', '-q', base, baseRef], { cwd: here, stdio: 'inherit' });
  symlinkSync(join(here, 'node_modules'), join(base, 'node_modules'));
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: base, stdio: 'inherit' });
  const results = { base: [], head: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const [side, root] of [['base', base], ['head', here]]) {
      const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', root], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${side} failed: ${run.stderr.slice(-2000)}`);
      results[side].push(JSON.parse(run.stdout.trim().split('\n').pop()));
    }
    console.error(`round ${round} of ${rounds} done`);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  for (const name of Object.keys(results.head[0])) {
    const [base, head] = [results.base.map((r) => r[name]), results.head.map((r) => r[name])];
    const [b, h] = [median(base), median(head)];
    // The noise to read the ratio against: each round's head over the same round's base, lowest and highest.
    const perRound = head.map((value, round) => value / base[round]).sort((x, y) => x - y);
    console.log(
      JSON.stringify({
        figure: name,
        rounds,
        base: b,
        head: h,
        head_vs_base: +(h / b).toFixed(3),
        per_round_head_vs_base: { min: +perRound[0].toFixed(3), max: +perRound.at(-1).toFixed(3) },
      }),
    );
  }
} finally {
  spawnSync('git', ['worktree', 'remove', '--force', base], { cwd: here });
  rmSync(work, { recursive: true, force: true });
}
