/**
 * The bus's transport figures, from the throughput rounds (bus-throughput.ts):
 * - `transport_msgs_per_s_batched` and `transport_ratio_batched`: bus messages per second into a
 *   sink whose handler only counts (fixtures/counting-sink-actor.ts), against raw batched
 *   postMessage. The ratio is the median of each round's own ratio (the two runs of a round are
 *   seconds apart, so the machine's load is nearly the same for both). Beside it, per message,
 *   the CPU time each thread of both paths ran, the main thread's time waiting for a core, and
 *   the two things the bus's host thread does per message whatever the transport (validation,
 *   timestamp): what the ratio would be without the waiting, and why it cannot reach a target.
 * - `xstate_cost_ns_per_msg`: what the bench sink's state machine adds per message on the
 *   actor's thread, against the counting sink (worker CPU time per message, round by round).
 * - `metrics_cost_ns_per_msg`: what metrics (createNode with `ops.metrics`) add per acknowledged
 *   message on the host thread, from two nodes alike but for metrics, round by round.
 */
import { figure, round, summarize, type Figure } from '../stats.js';
import { cpuName, FLOOR_TIMESTAMP, FLOOR_VALIDATE, type Samples } from './bus-throughput.js';

/** The ratio the bus's transport should keep against raw batched postMessage (issue 12). */
export const TRANSPORT_RATIO_TARGET = 0.6;

const RAW = 'postmessage_msgs_per_s_batched';
const TRANSPORT = 'transport_msgs_per_s_batched';
const METERED = 'metered_transport_msgs_per_s_batched';
const XSTATE = 'worker_msgs_per_s_batched';

const median = (values: readonly number[]) => summarize(values).median;

/** Round by round: f(a[i], b[i]) (the rounds' samples are in step: one per path per measured round). */
function paired(a: readonly number[], b: readonly number[], f: (x: number, y: number) => number): number[] {
  if (a.length !== b.length) throw new Error(`paired samples of different lengths: ${a.length} and ${b.length}`);
  return a.map((x, i) => f(x, b[i]!));
}

function cpuOf(samples: Samples, path: string): { main: number; worker: number; main_wait: number } {
  return {
    main: round(median(samples.get(cpuName(path, 'main')))),
    worker: round(median(samples.get(cpuName(path, 'worker')))),
    main_wait: round(median(samples.get(cpuName(path, 'main_wait')))),
  };
}

export function transportFigures(suite: string, samples: Samples, config: Record<string, unknown>): Figure[] {
  const raw = cpuOf(samples, RAW);
  const bus = cpuOf(samples, TRANSPORT);
  const floor = { validate: round(median(samples.get(FLOOR_VALIDATE))), timestamp: round(median(samples.get(FLOOR_TIMESTAMP))) };
  const transportConfig = { ...config, actor: 'transport sink: counts in place, no state machine (fixtures/counting-sink-actor.ts)', metrics: 'off' };
  const throughput = figure(suite, TRANSPORT, 'msgs/s', samples.get(TRANSPORT), {
    ratio_vs: RAW,
    ratio: round(median(samples.get(TRANSPORT)) / median(samples.get(RAW))),
    config: transportConfig,
  });
  const ratios = paired(samples.get(TRANSPORT), samples.get(RAW), (bus, raw) => bus / raw);
  const ratio = figure(suite, 'transport_ratio_batched', 'ratio', ratios, {
    ratio_of_medians: throughput['ratio'],
    target: `median >= ${TRANSPORT_RATIO_TARGET}`,
    target_met: median(ratios) >= TRANSPORT_RATIO_TARGET,
    cpu_ns_per_msg: { bus_main: bus.main, bus_worker: bus.worker, raw_main: raw.main, raw_worker: raw.worker },
    runqueue_wait_ns_per_msg: { bus_main: bus.main_wait, raw_main: raw.main_wait },
    // Each path is as fast as its busier thread when each thread has a core to itself and never waits for one.
    bottleneck_cpu_ratio: round(Math.max(raw.main, raw.worker) / Math.max(bus.main, bus.worker)),
    host_floor_ns_per_msg: floor,
    config: {
      ...transportConfig,
      measured: `each round's ${TRANSPORT} / ${RAW} (runs seconds apart); median over rounds (p99: the best round)`,
      cpu: 'per message, ns the thread ran on a core (/proc/self/task/<tid>/schedstat), medians over rounds; main: the publishing and hosting thread, worker: the receiving thread',
      bottleneck_cpu_ratio: 'max(raw threads) / max(bus threads) of cpu_ns_per_msg: the throughput ratio if every thread had a core and never waited',
      host_floor_ns_per_msg: 'ns per call, in this run, of topic validation (zod, the bench payload) and of the clock read: the bus host thread does both for every message, raw postMessage does neither',
    },
  });
  const xstate = figure(suite, 'xstate_cost_ns_per_msg', 'ns', paired(samples.get(cpuName(XSTATE, 'worker')), samples.get(cpuName(TRANSPORT, 'worker')), (machine, counting) => machine - counting), {
    worker_cpu_ns_per_msg: { machine_sink: round(median(samples.get(cpuName(XSTATE, 'worker')))), counting_sink: bus.worker },
    throughput_ratio: round(median(paired(samples.get(XSTATE), samples.get(TRANSPORT), (machine, counting) => machine / counting))),
    config: {
      measured: `per round, the actor thread's CPU ns per message in ${XSTATE} (bench sink: a state machine, one assign and a guard per message) minus that of ${TRANSPORT}; throughput_ratio: the same rounds' ${XSTATE} / ${TRANSPORT}`,
    },
  });
  const metered = cpuOf(samples, METERED);
  const metrics = figure(suite, 'metrics_cost_ns_per_msg', 'ns', paired(samples.get(cpuName(METERED, 'main')), samples.get(cpuName(TRANSPORT, 'main')), (on, off) => on - off), {
    host_cpu_ns_per_msg: { metrics_on: metered.main, metrics_off: bus.main },
    throughput_ratio: round(median(paired(samples.get(METERED), samples.get(TRANSPORT), (on, off) => on / off))),
    metered_msgs_per_s_median: round(median(samples.get(METERED))),
    config: {
      ...transportConfig,
      metrics: 'createNode with ops.metrics (latency histogram observed per acknowledged message) against the same node without',
      measured: 'per round, the host thread\'s CPU ns per message with metrics minus without (the two runs alternate in order); throughput_ratio: the same rounds\' msgs/s with / without',
    },
  });
  return [throughput, ratio, xstate, metrics];
}
