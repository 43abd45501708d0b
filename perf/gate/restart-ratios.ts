/**
 * The gate's restart ratios: crash → serving of a persistent counter (throw; its count checked
 * after every restart), with the default spare worker and with none, each against a bare worker
 * spawn (a Worker running a file that only counts, until it answers its first message) measured
 * in the same round. The cold ratio is what the runtime adds to a thread's start (its modules, the
 * store, the actor's start and restore); the spare ratio is what is left once a spare takes over.
 * Every side waits until the process is quiescent before it is timed (the restart suite's rule:
 * the pool has refilled after the previous crash, and a spawn does not race a spare's start-up).
 */
import { DEFAULT_SPARE_WORKERS } from '../../actors/runtime/config/node-config.js';
import { COUNTER_ACTOR } from '../../test/fixtures/fixture-paths.js';
import { startBenchNode, type BenchNode } from '../fixtures/bench-node.js';
import { RawBaseline } from '../fixtures/raw-baseline.js';
import { countOf, NEVER_GIVE_UP, quiesce, restartsOf, untilRestarted } from '../suites/restart.js';
import type { Figure } from '../stats.js';
import { pairedRatio, processCpuMicros } from './paired-ratio.js';
import { ratioFigure } from './pqc-ratios.js';

export interface RestartGateCounts {
  rounds: number;
  warmupRounds: number;
}

const ACTOR = 'counter';

/** How a side is timed: wall ms, or the CPU ms of every thread of this process. */
type Clock = 'wall' | 'cpu';
const read = (clock: Clock) => (clock === 'wall' ? performance.now() : processCpuMicros() / 1_000);

/** ms from a bare Worker's construction to its first answer. */
async function bareSpawn(clock: Clock): Promise<number> {
  await quiesce();
  const started = read(clock);
  const raw = await RawBaseline.start();
  const ms = read(clock) - started;
  await raw.close();
  return ms;
}

/** A node with one persistent counter, and a crash that returns ms until it answers with its count again. */
async function crashable(spareWorkers: number, clock: Clock): Promise<{ bench: BenchNode; crash(): Promise<number> }> {
  const bench = await startBenchNode({
    config: { supervision: { ...NEVER_GIVE_UP, spareWorkers } },
    children: [{ kind: 'actor', id: ACTOR, module: COUNTER_ACTOR, subscribes: ['test.increment'] }],
  });
  let expected = 0;
  return {
    bench,
    async crash() {
      await bench.node.publish('test.increment', { sender: 'gate', n: expected });
      expected++;
      await quiesce();
      const before = [restartsOf(bench.node, ACTOR)];
      const started = read(clock);
      await bench.node.crash(ACTOR, 'throw');
      await untilRestarted(bench.node, [ACTOR], before);
      const count = await countOf(bench.node, ACTOR);
      const ms = read(clock) - started;
      if (count !== expected) throw new Error(`the restarted counter has ${count}, expected ${expected}`);
      return ms;
    },
  };
}

export async function restartGateFigures(suite: string, counts: RestartGateCounts, progress: (message: string) => void): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const variant of [
    // A spare's takeover is a chain of hand-offs between threads: its latency is the figure. A cold
    // restart is mostly CPU (a thread's start, modules, store, restore), and its CPU time, unlike
    // its wall time, does not grow with the machine's load.
    { name: 'restart_spare_vs_spawn', spareWorkers: DEFAULT_SPARE_WORKERS, label: `default (spareWorkers ${DEFAULT_SPARE_WORKERS})`, clock: 'wall' as const },
    { name: 'restart_cold_vs_spawn', spareWorkers: 0, label: 'spareWorkers 0', clock: 'cpu' as const },
  ]) {
    const target = await crashable(variant.spareWorkers, variant.clock);
    try {
      const measured = await pairedRatio({
        rounds: counts.rounds,
        warmupRounds: counts.warmupRounds,
        numerator: { label: `crash (throw) → serving with its count, ${variant.label} (${variant.clock} ms)`, measure: () => target.crash() },
        denominator: { label: `bare worker spawn → first answer (${variant.clock} ms)`, measure: () => bareSpawn(variant.clock) },
      });
      figures.push(ratioFigure(suite, variant.name, measured, { spare_workers: variant.spareWorkers, config: { clock: variant.clock === 'wall' ? 'wall time' : 'CPU time of every thread of the process', rounds: counts.rounds, settle: 'quiescent before every timed side' } }));
    } finally {
      await target.bench.cleanup();
    }
    progress(`${variant.name} done`);
  }
  return figures;
}
