/**
 * The gate's bus ratio: messages per second through the bus into a worker-hosted sink (default
 * maxBatch, the main thread publishing), over raw batched postMessage into a bare counting
 * worker, the two runs alternating round by round. A bus run is one flood of `messages` into an
 * armed sink that reports when its count is reached (and fails if the count is wrong); a raw run
 * sends the same in arrays of maxBatch.
 */
import { DEFAULT_MAX_BATCH } from '../../actors/runtime/node.js';
import { startBenchNode } from '../fixtures/bench-node.js';
import { SINK_ACTOR } from '../fixtures/bench-paths.js';
import { SinkDriver } from '../fixtures/bus-driver.js';
import { RawBaseline } from '../fixtures/raw-baseline.js';
import type { Figure } from '../stats.js';
import { pairedRatio } from './paired-ratio.js';
import { ratioFigure } from './pqc-ratios.js';

export interface BusGateCounts {
  rounds: number;
  warmupRounds: number;
  /** Messages per bus run. */
  messages: number;
  /** Messages per raw run: more, since raw is about ten times faster and a run of a few ms is one time slice. */
  rawMessages: number;
}

const perSecond = (messages: number, ms: number) => (messages / ms) * 1_000;

export async function busGateFigures(suite: string, counts: BusGateCounts, progress: (message: string) => void): Promise<Figure[]> {
  const raw = await RawBaseline.start();
  const bench = await startBenchNode({ children: [{ kind: 'actor', id: 'sink', module: SINK_ACTOR, subscribes: ['bench.msg'] }] });
  try {
    const driver = new SinkDriver(bench.node);
    const measured = await pairedRatio({
      rounds: counts.rounds,
      warmupRounds: counts.warmupRounds,
      numerator: { label: 'bus → worker sink, batched (msgs/s)', measure: async () => perSecond(counts.messages, await driver.floodAndWait('bench.msg', 'sink', counts.messages)) },
      denominator: { label: 'raw postMessage, batched (msgs/s)', measure: async () => perSecond(counts.rawMessages, await raw.run(counts.rawMessages, DEFAULT_MAX_BATCH)) },
    });
    progress('bus against raw postMessage done');
    return [ratioFigure(suite, 'bus_worker_vs_raw_batched', measured, { config: { clock: 'wall time', max_batch: DEFAULT_MAX_BATCH, messages: counts.messages, raw_messages: counts.rawMessages, sink: 'bench sink (XState, one assign per message)', rounds: counts.rounds } })];
  } finally {
    await raw.close();
    await bench.cleanup();
  }
}
