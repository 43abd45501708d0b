/**
 * The gate's restart ratios: crash → serving of a persistent counter (throw; its count checked
 * after every restart), with the default spare worker and with none, each against a bare worker
 * spawn (a Worker running a file that only counts, until it answers its first message) measured
 * in the same round. The cold ratio is what the runtime adds to a thread's start (its modules, the
 * store, the actor's start and restore); the spare ratio is what is left once a spare takes over.
 * Every side waits until the process is quiescent before it is timed (the restart suite's rule:
 * the pool has refilled after the previous crash, and a spawn does not race a spare's start-up).
 *
 * Both sides are timed in CPU time of the whole process. In wall time, on a loaded machine, a
 * bare spawn took 150 to 440 ms and a spare's takeover 30 to 350 ms from one run to the next (each
 * hand-off between threads waits for a core), and the spare ratio's median moved between 0.3 and
 * 1.3; in CPU time it stayed within 0.5 to 1.2. The spare figure also holds the part of the
 * pool's refill (a new spare spawning as soon as one is taken) that runs before the restarted
 * actor answers, a larger part the longer the takeover waits for a core (1.2 was at a load
 * average of 25 on the two cores). A restart that no longer finds its spare costs as much CPU as a
 * cold one, about 3 spawns (3.5 to 4 while every worker loaded every actor module): that is what
 * the spare figure's limit catches.
 */
import { DEFAULT_SPARE_WORKERS } from '../../actors/runtime/config/node-config.js';
import { COUNTER_ACTOR } from '../../test/fixtures/fixture-paths.js';
import { startBenchNode, type BenchNode } from '../fixtures/bench-node.js';
import { RawBaseline } from '../fixtures/raw-baseline.js';
import { countOf, NEVER_GIVE_UP, quiesce, restartsOf, untilRestarted } from '../suites/restart.js';
import type { Figure } from '../stats.js';
import { pairedRatio, processCpuMicros, ratioFigure } from './paired-ratio.js';

export interface RestartGateCounts {
  rounds: number;
  warmupRounds: number;
}

const ACTOR = 'counter';

/** CPU ms of every thread of this process. */
const cpuMs = () => processCpuMicros() / 1_000;

/** CPU ms from a bare Worker's construction to its first answer. */
async function bareSpawn(): Promise<number> {
  await quiesce();
  const started = cpuMs();
  const raw = await RawBaseline.start();
  const ms = cpuMs() - started;
  await raw.close();
  return ms;
}

/** A node with one persistent counter, and a crash that returns ms until it answers with its count again. */
async function crashable(spareWorkers: number): Promise<{ bench: BenchNode; crash(): Promise<number> }> {
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
      const started = cpuMs();
      await bench.node.crash(ACTOR, 'throw');
      await untilRestarted(bench.node, [ACTOR], before);
      const count = await countOf(bench.node, ACTOR);
      const ms = cpuMs() - started;
      if (count !== expected) throw new Error(`the restarted counter has ${count}, expected ${expected}`);
      return ms;
    },
  };
}

export async function restartGateFigures(suite: string, counts: RestartGateCounts, progress: (message: string) => void): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const variant of [
    { name: 'restart_spare_vs_spawn', spareWorkers: DEFAULT_SPARE_WORKERS, label: `default (spareWorkers ${DEFAULT_SPARE_WORKERS})` },
    { name: 'restart_cold_vs_spawn', spareWorkers: 0, label: 'spareWorkers 0' },
  ]) {
    const target = await crashable(variant.spareWorkers);
    try {
      const measured = await pairedRatio({
        rounds: counts.rounds,
        warmupRounds: counts.warmupRounds,
        numerator: { label: `crash (throw) → serving with its count, ${variant.label} (CPU ms)`, measure: () => target.crash() },
        denominator: { label: 'bare worker spawn → first answer (CPU ms)', measure: bareSpawn },
      });
      figures.push(ratioFigure(suite, variant.name, measured, { spare_workers: variant.spareWorkers, config: { clock: 'CPU time of every thread of the process', rounds: counts.rounds, settle: 'quiescent before every timed side' } }));
    } finally {
      await target.bench.cleanup();
    }
    progress(`${variant.name} done`);
  }
  return figures;
}
