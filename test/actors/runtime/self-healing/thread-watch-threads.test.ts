/**
 * The thread watch on real worker threads: a thread caught in a busy loop is told as hung and
 * never as a hog; a thread running the chaos CPU hog is told with readings the seeded CPU-hog
 * rule holds (migration 8: CPU per yield >= 10 ms and CPU per input >= 5 ms) and never as hung.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActorIncarnation, Host, IncarnationEvents } from '../../../../actors/runtime/contracts/host.js';
import { createWorkerHost } from '../../../../actors/runtime/host/worker-host.js';
import { HANG_CPU_BUDGET_MS } from '../../../../actors/runtime/self-healing/runtime-sampler.js';
import { ThreadWatch } from '../../../../actors/runtime/self-healing/thread-watch.js';
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
  it('tells a busy loop as hung and the chaos hog with CPU readings, each only as what it is', () => hangAndHogTold());

  it('does so beside a CPU-bound process per core, where neither thread gets a core of its own', async () => {
    hogs = await startCoreHogs();
    await hangAndHogTold();
  });
});

/** Launches two counter threads, hangs one and runs the chaos hog in the other, and waits for the watch to tell each. */
async function hangAndHogTold(): Promise<void> {
  host = createWorkerHost({ spareWorkers: 0 });
  const hung = await launch('hung');
  const hog = await launch('hog');
  const cells = [
    { id: 'hung', state: 'running', current: hung },
    { id: 'hog', state: 'running', current: hog },
  ] as unknown as ActorCell[];
  const told: TelemetryPoint[] = [];
  watch = new ThreadWatch({
    clock: realClock,
    cells: () => cells,
    publish: (sample) => told.push(...sample.points),
    failed: (error) => {
      throw error;
    },
    silenceMs: 250,
    hangCpuBudgetMs: HANG_CPU_BUDGET_MS,
  });
  // A look, then another once both loops have gone idle since: the watch has seen both past start-up.
  watch.check();
  const idleAtFirstLook = [hung.loopIdleMs()!, hog.loopIdleMs()!];
  await waitFor(() => (hung.loopIdleMs()! > idleAtFirstLook[0]! && hog.loopIdleMs()! > idleAtFirstLook[1]! ? true : undefined), 20_000, 'both threads idle once');
  watch.check();
  watch.start();
  await hung.inject('hang');
  await hog.inject('cpu-hog');
  const of = (source: string, metric: string) => told.filter((point) => point.source === source && point.metric === metric);
  await waitFor(() => (of('hung', 'actor.unresponsive').length > 0 ? true : undefined), 60_000, 'the hang told');
  await waitFor(
    () => (of('hog', 'actor.cpu_burst_ms').some((point, i) => point.value >= 10 && of('hog', 'actor.cpu_ms_per_input')[i]!.value >= 5) ? true : undefined),
    60_000,
    'the hog told with readings the CPU-hog rule holds',
  );
  expect(of('hung', 'actor.unresponsive')).toEqual([{ metric: 'actor.unresponsive', source: 'hung', value: 1 }]);
  expect(of('hung', 'actor.cpu_ratio')).toEqual([]);
  expect(of('hog', 'actor.unresponsive')).toEqual([]);
}
