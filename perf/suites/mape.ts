/**
 * The mape suite: the self-healing loop on a running node at the default 1 s sampling, measured
 * from the knowledge base's records, not from the benchmark's own clock.
 *
 * 1. A quiet run under normal load (a workload actor taking 50 messages and 10 requests a
 *    second): every incident opened is a false one (`false_incidents`).
 * 2. Injections, round robin over the six fault kinds, each into the workload actor, one at a
 *    time: the incident the analyzer links to the injection gives MTTD (detected − fault start)
 *    and MTTR (recovered − fault start); its diagnosed cause and target against the injection
 *    give `diagnosis_accuracy` (an injection with no incident, or a wrong one, counts against).
 *
 * 3. Both again with two processes burning a core each alongside (figures suffixed `_loaded`):
 *    edge machines are rarely idle, and healing must work when the machine is busy.
 * An injection whose incident never closes is a missed incident (`missed_incidents`).
 *
 * Baseline in the same run: the sampling interval, against which MTTD is also given as a ratio
 * (detection cannot beat the first sample after the fault, except for the crash events the
 * runtime reports at once).
 */
import { mapeSubtree } from '../../actors/runtime/config/default-tree.js';
import type { IncidentReport } from '../../store/mape-status.js';
import { parseNodeConfig, type NodeConfigInput } from '../../actors/runtime/config/node-config.js';
import { LOCAL_CAUSE_KINDS, type LocalCauseKind } from '../../lib/mape/causes.js';
import { seededRandom } from '../../lib/timing/seeded-random.js';
import { COUNTER_ACTOR } from '../../test/fixtures/fixture-paths.js';
import { sleep, startBenchNode, type BenchNode } from '../fixtures/bench-node.js';
import { figure, progress, round } from '../stats.js';
import type { Suite } from './suite.js';
import type { FigureSink } from '../stats.js';
import { loadavg } from 'node:os';
import { CpuLoad } from '../fixtures/cpu-load.js';

const SUITE = 'mape';
const WORKLOAD = 'workload';

interface Counts {
  injectionsPerKind: number;
  quietMs: number;
}

const FULL: Counts = { injectionsPerKind: 20, quietMs: 10 * 60_000 };
const QUICK: Counts = { injectionsPerKind: 3, quietMs: 2 * 60_000 };

/** Issue 16's targets at 1 s sampling, idle and loaded (issue 3's were 2,000 and 5,000). */
const TARGET_MTTD_P99_MS = 500;
const TARGET_MTTR_P99_MS = 2_000;
/** An injection whose incident has not closed by then is counted as missed. */
const INCIDENT_TIMEOUT_MS = 30_000;
/** After an incident closes: the analyzer's quiet interval, and the spare thread refilled, before the next fault. */
const SETTLE_MS = 2_500;
/** Long enough for the statistical detectors to have their baselines before anything is measured. */
const WARM_UP_MS = 15_000;
/** A shed topic comes back after this: shorter than a round of the other five kinds, so the next flood floods. */
const SHED_TTL_MS = 5_000;

const CONFIG: NodeConfigInput = { mape: { shedTtlMs: SHED_TTL_MS } };

export const mapeSuite: Suite = {
  name: SUITE,
  description: 'self-healing: MTTD and MTTR per fault kind, diagnosis accuracy, missed and false incidents under normal load, on an idle machine and beside two CPU burners (_loaded)',
  async run({ quick, sink }) {
    const counts = quick ? QUICK : FULL;
    const config = parseNodeConfig(CONFIG);
    const bench = await startBenchNode({
      config: CONFIG,
      children: [
        { kind: 'supervisor', id: 'work', strategy: 'one_for_one', intensity: 1_000, children: [{ kind: 'actor', id: WORKLOAD, module: COUNTER_ACTOR, subscribes: ['test.increment'] }] },
        mapeSubtree(config),
      ],
    });
    const load = normalLoad(bench);
    try {
      await runPhase(bench, { counts, intervalMs: config.mape.intervalMs, suffix: '', sink });
      // The same again on a busy machine: two processes burning a core each, started before the
      // warm-up so the detectors' baselines are the loaded machine's.
      progress(`${BURNERS} CPU burners on, the same again as ${LOADED_SUFFIX}`);
      const burners = new CpuLoad(BURNERS, 100);
      try {
        await runPhase(bench, { counts, intervalMs: config.mape.intervalMs, suffix: LOADED_SUFFIX, sink });
      } finally {
        await burners.stop();
      }
    } finally {
      clearInterval(load);
      await bench.cleanup();
    }
  },
};

/** Issue 16: every figure also beside two CPU-burning processes. */
const BURNERS = 2;
const LOADED_SUFFIX = '_loaded';

/** One machine condition: warm-up, the quiet run, then every fault kind injected in turn. */
async function runPhase(bench: BenchNode, phase: { counts: Counts; intervalMs: number; suffix: string; sink: FigureSink }): Promise<void> {
  const { counts, intervalMs, suffix, sink } = phase;
  const load1 = () => round(loadavg()[0] ?? 0);
  progress(`warming up ${WARM_UP_MS / 1000} s, then a quiet run of ${counts.quietMs / 60_000} min under normal load${suffix}`);
  await sleep(WARM_UP_MS);
  const quietFrom = Date.now();
  await sleep(counts.quietMs);
  const falseIncidents = bench.node.incidents({ sinceMs: quietFrom });
  sink.emit({
    suite: SUITE,
    name: `false_incidents${suffix}`,
    unit: 'count',
    n: Math.round(counts.quietMs / 1000),
    median: falseIncidents.length,
    p99: falseIncidents.length,
    quiet_s: Math.round(counts.quietMs / 1000),
    target: 0,
    load1: load1(),
    causes: falseIncidents.map((incident) => `${incident.causeKind}@${incident.target}`),
  });

  const random = seededRandom(SEED);
  const byKind = new Map<LocalCauseKind, { mttd: number[]; mttr: number[] }>(LOCAL_CAUSE_KINDS.map((kind) => [kind, { mttd: [], mttr: [] }]));
  let injections = 0;
  let correct = 0;
  const missed: string[] = [];
  let lastId = Math.max(0, ...bench.node.incidents().map((incident) => incident.id));
  for (let round = 0; round < counts.injectionsPerKind; round++) {
    for (const kind of LOCAL_CAUSE_KINDS) {
      injections++;
      // At a random point of the sampling interval: injecting in step with the sampler would
      // measure one phase of it only (a seeded sequence, so runs are comparable).
      await sleep(Math.floor(random() * intervalMs));
      const fault = await bench.node.chaos(kind, WORKLOAD);
      const incident = await closedIncident(bench, lastId);
      if (!incident) {
        missed.push(`${kind} #${round + 1}`);
        // An incident this fault opens late must not be credited to the next one.
        lastId = Math.max(lastId, ...bench.node.incidents().map((open) => open.id));
        progress(`${kind} #${round + 1}${suffix}: no incident closed within ${INCIDENT_TIMEOUT_MS / 1000} s`);
        continue;
      }
      lastId = incident.id;
      const samples = byKind.get(kind)!;
      if (incident.faultStartedAt === fault.startedAt) samples.mttd.push(incident.detectedAt - fault.startedAt);
      if (incident.recoveredAt !== null && incident.faultStartedAt === fault.startedAt) samples.mttr.push(incident.recoveredAt - fault.startedAt);
      const right = incident.causeKind === kind && incident.target === WORKLOAD && incident.faultStartedAt === fault.startedAt;
      if (right) correct++;
      else progress(`${kind} #${round + 1}${suffix}: diagnosed ${incident.causeKind} on ${incident.target} (${incident.status})`);
      await sleep(SETTLE_MS);
    }
    progress(`round ${round + 1}/${counts.injectionsPerKind}${suffix} done`);
  }
  for (const [kind, samples] of byKind) {
    if (samples.mttd.length > 0) {
      const mttd = figure(SUITE, `mttd_ms_${kind}${suffix}`, 'ms', samples.mttd, { interval_ms: intervalMs, target_p99_ms: TARGET_MTTD_P99_MS });
      sink.emit({ ...mttd, ratio_p99_to_interval: round(mttd.p99 / intervalMs), meets_target: mttd.p99 <= TARGET_MTTD_P99_MS, load1: load1() });
    }
    if (samples.mttr.length > 0) {
      const mttr = figure(SUITE, `mttr_ms_${kind}${suffix}`, 'ms', samples.mttr, { interval_ms: intervalMs, target_p99_ms: TARGET_MTTR_P99_MS });
      sink.emit({ ...mttr, meets_target: mttr.p99 <= TARGET_MTTR_P99_MS, load1: load1() });
    }
  }
  const accuracy = injections === 0 ? 0 : correct / injections;
  sink.emit({ suite: SUITE, name: `diagnosis_accuracy${suffix}`, unit: 'ratio', n: injections, median: round(accuracy), p99: round(accuracy), correct, target: 1, load1: load1() });
  sink.emit({ suite: SUITE, name: `missed_incidents${suffix}`, unit: 'count', n: injections, median: missed.length, p99: missed.length, target: 0, missed, load1: load1() });
}

/** Fixed, so two runs inject at the same offsets within the interval. */
const SEED = 20_261_126;

/** 50 messages and 10 requests a second to the workload: what the quiet run calls normal. */
function normalLoad(bench: BenchNode): ReturnType<typeof setInterval> {
  let n = 0;
  return setInterval(() => {
    n++;
    bench.node.publish('test.increment', { sender: 'load', n }).catch(() => undefined);
    if (n % 5 === 0) bench.node.request(WORKLOAD, 'test.get', {}, { timeoutMs: 2_000 }).catch(() => undefined);
  }, 20);
}

async function closedIncident(bench: BenchNode, afterId: number): Promise<IncidentReport | undefined> {
  const deadline = Date.now() + INCIDENT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const found = bench.node
      .incidents({ sinceMs: Date.now() - INCIDENT_TIMEOUT_MS * 2 })
      .find((incident) => incident.id > afterId && (incident.status === 'recovered' || incident.status === 'failed'));
    if (found) return found;
    await sleep(50);
  }
  return undefined;
}
