/**
 * The gate's bus ratio: messages through the bus into a worker-hosted sink (default maxBatch, the
 * main thread publishing) against raw batched postMessage into a bare counting worker, the two
 * runs alternating round by round. A bus run is one flood of `messages` into an armed sink that
 * reports when its count is reached (and fails if the count is wrong); a raw run sends its
 * messages in arrays of maxBatch.
 *
 * Each side is messages per CPU second of the whole process (publisher, worker, and the host's
 * acknowledgements): the ratio is what a message costs raw over what it costs through the bus.
 * Their throughputs in wall time do not keep their ratio under load: with two CPU burners and
 * other work on the two cores, raw postMessage (a few ms per run, every hand-off waiting for a
 * core) lost up to three quarters of its speed and the bus about half, and the wall ratio moved
 * between 0.06 and 0.21 from run to run, where the CPU ratio stayed within 0.067 to 0.080. It
 * still moves with the load, less: the bus's cost per message depends on how large its batches
 * come out (0.06 to 0.11 under two burners once deliveries crossed as columns).
 */
import { DEFAULT_MAX_BATCH } from '../../actors/runtime/node.js';
import { startBenchNode } from '../fixtures/bench-node.js';
import { SINK_ACTOR } from '../fixtures/bench-paths.js';
import { SinkDriver } from '../fixtures/bus-driver.js';
import { RawBaseline } from '../fixtures/raw-baseline.js';
import type { Figure } from '../stats.js';
import { pairedRatio, processCpuMicros, ratioFigure } from './paired-ratio.js';

export interface BusGateCounts {
  rounds: number;
  warmupRounds: number;
  /** Messages per bus run. */
  messages: number;
  /** Messages per raw run: more, since raw is about ten times cheaper and a run of a few ms would be all overhead. */
  rawMessages: number;
}

/** Messages per CPU second of whatever `run` does. */
async function perCpuSecond(messages: number, run: () => Promise<unknown>): Promise<number> {
  const started = processCpuMicros();
  await run();
  return (messages / (processCpuMicros() - started)) * 1e6;
}

export async function busGateFigures(suite: string, counts: BusGateCounts, progress: (message: string) => void): Promise<Figure[]> {
  const raw = await RawBaseline.start();
  const bench = await startBenchNode({ children: [{ kind: 'actor', id: 'sink', module: SINK_ACTOR, subscribes: ['bench.msg'] }] });
  try {
    const driver = new SinkDriver(bench.node);
    const measured = await pairedRatio({
      rounds: counts.rounds,
      warmupRounds: counts.warmupRounds,
      numerator: { label: 'bus → worker sink, batched (msgs per CPU s)', measure: () => perCpuSecond(counts.messages, () => driver.floodAndWait('bench.msg', 'sink', counts.messages)) },
      denominator: { label: 'raw postMessage, batched (msgs per CPU s)', measure: () => perCpuSecond(counts.rawMessages, () => raw.run(counts.rawMessages, DEFAULT_MAX_BATCH)) },
    });
    progress('bus against raw postMessage done');
    return [
      ratioFigure(suite, 'bus_worker_vs_raw_batched', measured, {
        config: { clock: 'CPU time of every thread of the process', max_batch: DEFAULT_MAX_BATCH, messages: counts.messages, raw_messages: counts.rawMessages, sink: 'bench sink (XState, one assign per message)', rounds: counts.rounds },
      }),
    ];
  } finally {
    await raw.close();
    await bench.cleanup();
  }
}
