/**
 * The thread watch on real worker threads: a thread running the chaos CPU hog is told with
 * readings the seeded CPU-hog rule holds (migration 8: CPU per yield >= 10 ms and CPU per input
 * >= 5 ms) and never as hung; a thread caught in a busy loop is told as hung and never as a hog.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActorIncarnation, Host, IncarnationEvents } from '../../../../actors/runtime/contracts/host.js';
import { createWorkerHost } from '../../../../actors/runtime/host/worker-host.js';
import { STARTUP_GRACE_MS } from '../../../../actors/runtime/self-healing/runtime-sampler.js';
import { ThreadWatch, WATCH_HANG_CPU_MS } from '../../../../actors/runtime/self-healing/thread-watch.js';
import type { ActorCell } from '../../../../actors/runtime/supervision/actor-cell.js';
import type { TelemetryPoint } from '../../../../lib/mape/telemetry.js';
import { realClock } from '../../../../lib/timing/clock.js';
import { COUNTER_ACTOR } from '../../../fixtures/fixture-paths.js';
import { startCoreHogs, type CoreHogs } from '../../../helpers/core-hogs.js';
import { makeDataDir, waitFor } from '../../../helpers/test-node.js';

let host: Host | undefined;
let watch: ThreadWatch | undefined;
let dataDir: string | undefined;
let hogs: CoreHogs | undefined;
afterEach(async () => {
  await hogs?.stop();
  hogs = undefined;
  watch?.stop();
  watch = undefined;
  await host?.close();
  host = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

const events: IncarnationEvents = { ack: () => undefined, outbound: () => undefined, exit: () => undefined, malformed: () => undefined, undeliverable: () => undefined };

async function launch(actorId: string): Promise<ActorIncarnation> {
  dataDir ??= makeDataDir();
  // A liveness deadline far beyond the test: the watch, not the host, is what finds the hang here.
  const liveness = { intervalMs: 1_000, timeoutMs: 600_000 };
  return host!.launch({ actorId, module: COUNTER_ACTOR, options: {}, databasePath: join(dataDir, `${actorId}.db`), runId: randomUUID(), throttleMs: 0, liveness }, events);
}

describe('the thread watch on real threads', () => {
  it('tells the chaos hog with CPU readings and a busy loop as hung, each only as what it is', () => hogThenHangTold(), 120_000);

  it('does so beside a CPU-bound process per core, where neither thread gets a core of its own', async () => {
    hogs = await startCoreHogs();
    await hogThenHangTold();
  }, 120_000);

  it('tells the chaos leak with a growth the seeded leak rule holds (16 MiB/s)', async () => {
    host = createWorkerHost({ spareWorkers: 0 });
    const leak = await launch('leak');
    const cells = [{ id: 'leak', state: 'running', current: leak, mailbox: { depth: 0 } }] as unknown as ActorCell[];
    const told: TelemetryPoint[] = [];
    watch = watching(cells, told);
    await pastStartUp(watch, [leak]);
    await leak.inject('memory-leak');
    await waitFor(() => (told.some((point) => point.metric === 'actor.retained_heap_growth_bps' && point.value >= 16 * 1024 * 1024) ? true : undefined), 40_000, 'the leak told');
    expect(told.filter((point) => point.metric === 'actor.unresponsive')).toEqual([]);
  }, 120_000);
});

/**
 * Launches two counter threads, runs the chaos hog in one and waits for the watch to tell it, then
 * hangs the other and waits for that: one at a time, so the hung thread's spinning does not take
 * the hog's share of a core on a loaded machine.
 */
async function hogThenHangTold(): Promise<void> {
  host = createWorkerHost({ spareWorkers: 0 });
  const hung = await launch('hung');
  const hog = await launch('hog');
  const cells = [
    { id: 'hung', state: 'running', current: hung, mailbox: { depth: 0 } },
    { id: 'hog', state: 'running', current: hog, mailbox: { depth: 0 } },
  ] as unknown as ActorCell[];
  const told: TelemetryPoint[] = [];
  watch = watching(cells, told);
  await pastStartUp(watch, [hung, hog]);
  const of = (source: string, metric: string) => told.filter((point) => point.source === source && point.metric === metric);
  await hog.inject('cpu-hog');
  await waitFor(
    () => (of('hog', 'actor.cpu_burst_ms').some((point, i) => point.value >= 10 && of('hog', 'actor.cpu_ms_per_input')[i]!.value >= 5) ? true : undefined),
    40_000,
    'the hog told with readings the CPU-hog rule holds',
  );
  await hung.inject('hang');
  await waitFor(() => (of('hung', 'actor.unresponsive').length > 0 ? true : undefined), 40_000, 'the hang told');
  expect(of('hung', 'actor.unresponsive')).toEqual([{ metric: 'actor.unresponsive', source: 'hung', value: 1 }]);
  expect(of('hung', 'actor.cpu_ratio')).toEqual([]);
  expect(of('hog', 'actor.unresponsive')).toEqual([]);
}

function watching(cells: ActorCell[], told: TelemetryPoint[]): ThreadWatch {
  return new ThreadWatch({
    clock: realClock,
    cells: () => cells,
    publish: (sample) => told.push(...sample.points),
    failed: (error) => {
      throw error;
    },
    silenceMs: 250,
    hangCpuBudgetMs: WATCH_HANG_CPU_MS,
    startupGraceMs: STARTUP_GRACE_MS,
  });
}

/**
 * A first look, then another once the start-up grace has passed and every thread's loop has gone
 * idle since: the watch has seen them past start-up. Then the watch runs on its own timer.
 */
async function pastStartUp(watch: ThreadWatch, threads: ActorIncarnation[]): Promise<void> {
  watch.check();
  const firstLookAt = performance.now();
  const idleAtFirstLook = threads.map((thread) => thread.loopIdleMs()!);
  await waitFor(() => (performance.now() - firstLookAt > STARTUP_GRACE_MS && threads.every((thread, i) => thread.loopIdleMs()! > idleAtFirstLook[i]!) ? true : undefined), 20_000, 'the threads past start-up');
  watch.check();
  watch.start();
}
