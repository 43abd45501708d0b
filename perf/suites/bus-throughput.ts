/**
 * The bus suite's throughput rounds: every path runs once per round, round after round, so a
 * change in the machine's load hits every path alike and the ratios stay meaningful on a shared
 * machine. Besides messages per second, the runs that the transport figures compare record the
 * CPU time their threads spent per message (thread-times.ts), and each round measures the two
 * things the bus's host thread must do per message whatever the transport: validate the payload
 * and stamp its publication time.
 */
import { DEFAULT_MAX_BATCH, type X0tta6bl4Node } from '../../actors/runtime/node.js';
import { realClock } from '../../actors/runtime/contracts/clock.js';
import { COUNTER_ACTOR } from '../../test/fixtures/fixture-paths.js';
import { nextTurn, startBenchNode, type BenchNode } from '../fixtures/bench-node.js';
import { COUNTING_SINK_ACTOR, RELAY_ACTOR, SINK_ACTOR } from '../fixtures/bench-paths.js';
import { benchTopics } from '../fixtures/bench-topics.js';
import { flood, SinkDriver } from '../fixtures/bus-driver.js';
import { MachineOnly } from '../fixtures/machine-only.js';
import { RawBaseline } from '../fixtures/raw-baseline.js';
import { mainThreadTimes, nsPerMessage, threadTimes, type ThreadTimes } from '../fixtures/thread-times.js';
import { progress } from '../stats.js';

export interface ThroughputCounts {
  /** Messages per throughput run. */
  n: number;
  /** Measured rounds (after the warm-up rounds). */
  runs: number;
  warmup: number;
}

/** Calls per round of the host-thread floor loops: enough that a round's timer resolution does not matter. */
const FLOOR_CALLS = 20_000;

/** Where /metrics is served for the metered node: any free port on loopback. */
const METRICS_LISTEN = '127.0.0.1:0';

/** Samples by name, one per measured round. */
export class Samples {
  readonly byName = new Map<string, number[]>();

  add(name: string, value: number): void {
    const list = this.byName.get(name) ?? [];
    list.push(value);
    this.byName.set(name, list);
  }

  get(name: string): number[] {
    const list = this.byName.get(name);
    if (!list || list.length === 0) throw new Error(`no samples for ${name}`);
    return list;
  }
}

/** Names of the CPU samples of a path: ns of main-thread / worker-thread run time, and main-thread run-queue wait, per message. */
export const cpuName = (path: string, thread: 'main' | 'worker' | 'main_wait') => `cpu:${path}:${thread}`;
/** Names of the per-round host-thread floor samples (ns per call). */
export const FLOOR_VALIDATE = 'floor:validate_ns';
export const FLOOR_TIMESTAMP = 'floor:timestamp_ns';

export function msgsPerSecond(n: number, ms: number): number {
  return (n / ms) * 1_000;
}

/** A worker actor's OS thread id, through its running incarnation's scheduler reading. */
function actorThreadTimes(node: X0tta6bl4Node, actorId: string): () => ThreadTimes {
  return () => {
    const stat = node.actors.get(actorId).current?.schedStat();
    return stat ? { runMs: stat.runMs, waitMs: stat.waitMs } : { runMs: 0, waitMs: 0 };
  };
}

/**
 * Runs `run` (which moves n messages and resolves with its ms) and records its throughput and,
 * per message, the main thread's run and wait times and the receiving worker thread's run time.
 */
async function timedRun(samples: Samples, keep: boolean, path: string, n: number, worker: () => ThreadTimes, run: () => Promise<number>): Promise<void> {
  const mainBefore = mainThreadTimes();
  const workerBefore = worker();
  const ms = await run();
  const main = nsPerMessage(mainBefore, mainThreadTimes(), n);
  const work = nsPerMessage(workerBefore, worker(), n);
  if (!keep) return;
  samples.add(path, msgsPerSecond(n, ms));
  samples.add(cpuName(path, 'main'), main.run);
  samples.add(cpuName(path, 'main_wait'), main.wait);
  samples.add(cpuName(path, 'worker'), work.run);
}

/** ns per call of what the host thread does per published message whatever the transport: validation against the topic's schema, and the timestamp. */
function hostFloor(samples: Samples): void {
  let started = performance.now();
  for (let i = 0; i < FLOOR_CALLS; i++) benchTopics.validate('bench.transport', { n: i, t: 0 });
  samples.add(FLOOR_VALIDATE, ((performance.now() - started) * 1e6) / FLOOR_CALLS);
  let sink = 0;
  started = performance.now();
  for (let i = 0; i < FLOOR_CALLS; i++) sink += realClock.now();
  samples.add(FLOOR_TIMESTAMP, ((performance.now() - started) * 1e6) / FLOOR_CALLS);
  if (sink === 0) throw new Error('the clock read 0');
}

/** n increments to the persistent counter, then its count: ms until the count answers, checked. */
async function persistentRun(node: X0tta6bl4Node, n: number, before: number): Promise<number> {
  const started = performance.now();
  await flood(node, 'test.increment', n, (i) => ({ sender: 'bench', n: i }));
  // test.get rejects when the mailbox is full: wait for room (at most a few turns at the end).
  const mailbox = node.actors.get('counter').mailbox;
  while (!mailbox.hasSpace) await nextTurn();
  const { count } = (await node.request('counter', 'test.get', {}, { timeoutMs: 60_000 })) as { count: number };
  const elapsed = performance.now() - started;
  if (count !== before + n) throw new Error(`persistent counter counted ${count}, expected ${before + n}`);
  return elapsed;
}

const transportSink = { kind: 'actor' as const, id: 'transport-sink', module: COUNTING_SINK_ACTOR, subscribes: ['bench.transport'] };

export async function throughputRounds(counts: ThroughputCounts, suite: string): Promise<Samples> {
  const samples = new Samples();
  const raw = await RawBaseline.start();
  const machineOnly = new MachineOnly();
  const nodes: BenchNode[] = [];
  const start = async (options: Parameters<typeof startBenchNode>[0]) => {
    const started = await startBenchNode(options);
    nodes.push(started);
    return started;
  };
  try {
    const batched = await start({
      children: [
        { kind: 'actor', id: 'sink', module: SINK_ACTOR, subscribes: ['bench.msg'] },
        { kind: 'actor', id: 'relay', module: RELAY_ACTOR, subscribes: ['bench.relay'] },
        { kind: 'actor', id: 'inline-sink', module: SINK_ACTOR, subscribes: ['bench.inline'], host: 'inline' },
        { kind: 'actor', id: 'counter', module: COUNTER_ACTOR, subscribes: ['test.increment'] },
      ],
    });
    const unbatched = await start({
      maxBatch: 1,
      children: [
        { kind: 'actor', id: 'sink', module: SINK_ACTOR, subscribes: ['bench.msg'] },
        { kind: 'actor', id: 'relay', module: RELAY_ACTOR, subscribes: ['bench.relay'] },
      ],
    });
    // Two nodes alike but for metrics: what metrics cost per acknowledged message is their difference.
    const transport = await start({ children: [transportSink] });
    const metered = await start({ children: [transportSink], ops: { metrics: { listen: METRICS_LISTEN } } });
    const onBatched = new SinkDriver(batched.node);
    const onUnbatched = new SinkDriver(unbatched.node);
    const onTransport = new SinkDriver(transport.node);
    const onMetered = new SinkDriver(metered.node);
    const rawThread = () => threadTimes(raw.tid);
    let counted = 0;
    const { n } = counts;
    const total = counts.warmup + counts.runs;
    for (let pass = 0; pass < total; pass++) {
      const keep = pass >= counts.warmup;
      const record = (name: string, ms: number) => {
        if (keep) samples.add(name, msgsPerSecond(n, ms));
      };
      record('postmessage_msgs_per_s_unbatched', await raw.run(n, 1));
      await timedRun(samples, keep, 'postmessage_msgs_per_s_batched', n, rawThread, () => raw.run(n, DEFAULT_MAX_BATCH));
      // The transport pair right after raw batched, in alternating order: each round's ratio compares runs seconds apart.
      const pair = [
        () => timedRun(samples, keep, 'transport_msgs_per_s_batched', n, actorThreadTimes(transport.node, 'transport-sink'), () => onTransport.floodAndWait('bench.transport', 'transport-sink', n)),
        () => timedRun(samples, keep, 'metered_transport_msgs_per_s_batched', n, actorThreadTimes(metered.node, 'transport-sink'), () => onMetered.floodAndWait('bench.transport', 'transport-sink', n)),
      ];
      for (const run of pass % 2 === 0 ? pair : [...pair].reverse()) await run();
      record('machine_only_msgs_per_s', machineOnly.run(n, DEFAULT_MAX_BATCH));
      await timedRun(samples, keep, 'worker_msgs_per_s_batched', n, actorThreadTimes(batched.node, 'sink'), () => onBatched.floodAndWait('bench.msg', 'sink', n));
      record('worker_msgs_per_s_unbatched', await onUnbatched.floodAndWait('bench.msg', 'sink', n));
      record('worker_to_worker_msgs_per_s_batched', await onBatched.floodAndWait('bench.relay', 'sink', n));
      record('worker_to_worker_msgs_per_s_unbatched', await onUnbatched.floodAndWait('bench.relay', 'sink', n));
      record('inline_msgs_per_s', await onBatched.floodAndWait('bench.inline', 'inline-sink', n));
      record('worker_msgs_per_s_persistent', await persistentRun(batched.node, n, counted));
      if (keep) hostFloor(samples);
      counted += n;
      progress(`${suite}: throughput round ${pass + 1}/${total}${keep ? '' : ' (warm-up)'}`);
    }
  } finally {
    machineOnly.stop();
    await raw.close();
    for (const node of nodes) await node.cleanup();
  }
  return samples;
}
