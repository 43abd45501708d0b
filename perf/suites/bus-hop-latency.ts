/**
 * Hop latency (publish → processed inside the actor) and processed throughput, with two worker
 * sinks (two cores) taking what the main thread publishes, alternately to each.
 *
 * - Open loop (`openLoop`): messages offered at a fixed rate, on a schedule that does not wait
 *   for the sinks. This is the load a target "≥ R msgs/s with hop p99 ≤ L" names: latency while
 *   the node carries R messages a second. A closed loop cannot say it: its rate is whatever comes
 *   out, and while the pipe stalls it stops offering, so the stall reaches few samples.
 * - Closed loop (`closedLoop`): at most `window` messages outstanding per sink (credit-based flow
 *   control, no polling): the throughput/latency trade-off, window by window.
 *
 * Timestamps are `performance.timeOrigin + performance.now()` carried in the payload, comparable
 * across threads.
 */
import { startBenchNode, type BenchNode } from '../fixtures/bench-node.js';
import { SINK_ACTOR } from '../fixtures/bench-paths.js';
import { now, type SinkDriver } from '../fixtures/bus-driver.js';
import { progress } from '../stats.js';
import { msgsPerSecond } from './bus-throughput.js';

export const HOP_SINKS = [
  { actor: 'hop-0', topic: 'bench.hop.0' },
  { actor: 'hop-1', topic: 'bench.hop.1' },
] as const;

/**
 * Between bursts the open-loop publisher waits on a timer, which cannot wait less than a
 * millisecond: at 100,000 msgs/s each burst is about 100 messages, 50 per sink, published as they
 * fell due. Each message's hop is timed from its own publication, so the wait does not count as
 * latency; how late messages were published against their schedule shows in `publish_lag`. The
 * host thread stays in its event loop meanwhile (acknowledgements and batches flow), as a node's
 * does.
 */
export const PACE_TICK_MS = 1;

export interface HopRuns {
  /** Processed messages per second, one per measured run. */
  throughput: number[];
  /** Every measured message's hop latency, ms. */
  hops: number[];
  /** Each measured run's own hop p99, ms: how much one run's tail differs from the next. */
  runP99: number[];
  /** Open loop only: how late each measured message was published against its schedule, ms. */
  lags: number[];
}

export async function startHopNode(): Promise<BenchNode> {
  return startBenchNode({
    children: HOP_SINKS.map(({ actor, topic }) => ({
      kind: 'actor' as const,
      id: actor,
      module: SINK_ACTOR,
      subscribes: [topic],
      options: { recordHops: true, credits: true },
    })),
  });
}

/** A sink sends a flow-control credit every window/4 messages: the pipe never runs dry waiting for one. */
export function creditEvery(window: number): number {
  return Math.max(1, Math.floor(window / 4));
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, PACE_TICK_MS));

function nearestRankP99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)]!;
}

interface RunOutcome {
  elapsedMs: number;
  hops: number[];
  lags: number[];
}

async function measured(runs: number, warmup: number, label: string, run: () => Promise<RunOutcome>): Promise<HopRuns> {
  const result: HopRuns = { throughput: [], hops: [], runP99: [], lags: [] };
  const total = warmup + runs;
  for (let index = 0; index < total; index++) {
    const outcome = await run();
    if (index >= warmup) {
      result.throughput.push(msgsPerSecond(outcome.hops.length, outcome.elapsedMs));
      for (const hop of outcome.hops) result.hops.push(hop);
      for (const lag of outcome.lags) result.lags.push(lag);
      result.runP99.push(nearestRankP99(outcome.hops));
    }
    progress(`${label} run ${index + 1}/${total}${index >= warmup ? '' : ' (warm-up)'}`);
  }
  return result;
}

/** Collects both sinks' hop latencies and checks that every message was recorded once. */
async function collectHops(driver: SinkDriver, perSink: number): Promise<number[]> {
  const hops = (await Promise.all(HOP_SINKS.map(({ actor }) => driver.hops(actor)))).flat();
  if (hops.length !== perSink * HOP_SINKS.length) throw new Error(`recorded ${hops.length} hop latencies, expected ${perSink * HOP_SINKS.length}`);
  return hops;
}

/**
 * `n` messages per run offered at `rate` msgs/s in all, alternately to the two sinks: message i
 * falls due at start + i / rate, and is published (and stamped) as soon as the publisher gets to
 * it. The run's throughput is n over the time from the start to the later sink's last message.
 */
export function openLoop(driver: SinkDriver, n: number, runs: number, warmup: number, rate: number, label: string): Promise<HopRuns> {
  const node = driver.node;
  const perSink = Math.floor(n / HOP_SINKS.length);
  const total = perSink * HOP_SINKS.length;
  const intervalMs = 1_000 / rate;
  return measured(runs, warmup, label, async () => {
    const armed = await Promise.all(HOP_SINKS.map(({ actor }) => driver.arm(actor, perSink)));
    const lags = new Array<number>(total);
    let failure: unknown;
    const started = now();
    let i = 0;
    while (i < total) {
      const due = Math.min(total, Math.floor((now() - started) / intervalMs) + 1);
      for (; i < due; i++) {
        const t = now();
        lags[i] = t - (started + i * intervalMs);
        node.publish(HOP_SINKS[i % HOP_SINKS.length]!.topic, { n: i, t }).catch((error: unknown) => (failure ??= error));
      }
      // Acknowledgements and outbound batches are handled between bursts.
      if (i < total && started + i * intervalMs > now()) await tick();
      else await nextTurn();
    }
    const times = await Promise.all(armed.map(({ reached }) => reached));
    if (failure) throw failure;
    // `reached` is performance.now(); `started` is on the payload's clock (timeOrigin + now()).
    const elapsedMs = Math.max(...times) + performance.timeOrigin - started;
    return { elapsedMs, hops: await collectHops(driver, perSink), lags };
  });
}

/** `n` messages per run with at most `window` outstanding per sink (closed loop, credits). */
export function closedLoop(driver: SinkDriver, n: number, runs: number, warmup: number, window: number, label: string): Promise<HopRuns> {
  const node = driver.node;
  const perSink = Math.floor(n / HOP_SINKS.length);
  return measured(runs, warmup, label, async () => {
    const armed = await Promise.all(HOP_SINKS.map(({ actor }) => driver.arm(actor, perSink, creditEvery(window))));
    const base = HOP_SINKS.map(({ actor }) => driver.progress.get(actor) ?? 0);
    const sent = HOP_SINKS.map(() => 0);
    let failure: unknown;
    const started = performance.now();
    for (;;) {
      let finished = true;
      for (let k = 0; k < HOP_SINKS.length; k++) {
        const { actor, topic } = HOP_SINKS[k]!;
        const processed = (driver.progress.get(actor) ?? 0) - base[k]!;
        while (sent[k]! < perSink && sent[k]! - processed < window) {
          node.publish(topic, { n: sent[k]!, t: now() }).catch((error: unknown) => (failure ??= error));
          sent[k]!++;
        }
        if (sent[k]! < perSink) finished = false;
      }
      if (finished) break;
      await driver.nextProgress();
    }
    const times = await Promise.all(armed.map(({ reached }) => reached));
    if (failure) throw failure;
    return { elapsedMs: Math.max(...times) - started, hops: await collectHops(driver, perSink), lags: [] };
  });
}
