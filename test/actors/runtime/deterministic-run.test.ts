/**
 * A node on the inline host run by a virtual clock and a seeded Random: supervision (crashes,
 * restarts with backoff and jitter, the intensity exceeded), a bus request timing out and the
 * persist throttle give a trace of events at virtual times. The same seed gives the same trace;
 * another seed gives other restart delays (the jitter) and nothing else. Virtual time moves only
 * when the test advances it, and only once the node has done what it was waiting for (polled in
 * real time, without sleeps of fixed length), so the trace cannot depend on the machine's load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createNode, type X0tta6bl4Node } from '../../../actors/runtime/node.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';
import { seededRandom } from '../../../lib/timing/seeded-random.js';
import { restartDelayMs } from '../../../actors/runtime/supervision/backoff.js';
import { COUNTER_ACTOR } from '../../fixtures/fixture-paths.js';
import { testTopics } from '../../fixtures/test-topics.js';
import { until } from '../../helpers/wait.js';

const BACKOFF = { minMs: 100, maxMs: 2_000, jitter: 0.5 };
const INTENSITY = 3;
const THROTTLE_MS = 200;
const REQUEST_TIMEOUT_MS = 750;
/** Virtual time between two injected crashes: well inside the intensity period, so the fourth crash exceeds it. */
const BETWEEN_CRASHES_MS = 1_000;

/** The delay of a 'restart … after N ms' line. */
const delayOf = (line: string) => Number(/after (\d+) ms$/.exec(line)![1]);

interface Run {
  node: X0tta6bl4Node;
  dataDir: string;
}
const runs: Run[] = [];
afterEach(async () => {
  for (const run of runs.splice(0)) {
    await run.node.stop();
    rmSync(run.dataDir, { recursive: true, force: true });
  }
});

/** Runs the scenario under `seed` and returns its trace: one line per event, each with its virtual time. */
async function traceOf(seed: number): Promise<string[]> {
  const clock = new VirtualClock();
  const trace: string[] = [];
  const note = (event: string) => trace.push(`${clock.monotonicNow()} ${event}`);
  // The node's log lines are the supervision trace; written synchronously, so each is stamped with the virtual time it happened at.
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { msg: string; actor?: string; actors?: string[]; delayMs?: number; supervisor?: string };
        if (entry.msg === 'restarting') note(`restart ${entry.actors!.join(',')} after ${entry.delayMs} ms`);
        else if (entry.msg === 'child started' && entry.actor === 'flaky') note(`started ${entry.actor}`);
        else if (entry.msg === 'supervisor gave up') note(`${entry.supervisor} gave up`);
      },
    },
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-determinism-'));
  const node = createNode({
    clock,
    random: seededRandom(seed),
    logger,
    topics: testTopics,
    config: {
      dataDir,
      host: 'inline',
      logLevel: 'debug',
      snapshots: { throttleMs: THROTTLE_MS },
      supervision: { backoff: BACKOFF, intensity: INTENSITY, periodMs: 60_000 },
    },
    onMessageProcessed: (actorId, latencyMs) => note(`${actorId} acknowledged after ${latencyMs} ms`),
    tree: {
      kind: 'supervisor',
      id: 'root',
      strategy: 'one_for_one',
      children: [
        {
          kind: 'supervisor',
          id: 'crashing',
          strategy: 'one_for_one',
          restart: 'temporary',
          children: [{ kind: 'actor', id: 'flaky', module: COUNTER_ACTOR }],
        },
        { kind: 'actor', id: 'steady', module: COUNTER_ACTOR, subscribes: ['test.increment'] },
      ],
    },
  });
  runs.push({ node, dataDir });
  await node.start();
  const count = (event: string) => trace.filter((line) => line.includes(event)).length;

  // Supervision: each crash restarts `flaky` after its backoff, until the fourth exceeds the intensity.
  for (let crash = 1; crash <= INTENSITY + 1; crash++) {
    await node.crash('flaky', 'throw');
    await until(`crash ${crash} handled`, () => count('restart flaky') + count('crashing gave up') === crash);
    if (count('crashing gave up') > 0) break;
    const delayMs = delayOf(trace.filter((line) => line.includes('restart flaky')).at(-1)!);
    await clock.advanceAsync(delayMs);
    await until(`restart ${crash} done`, () => count('started flaky') === crash + 1);
    await clock.advanceAsync(BETWEEN_CRASHES_MS);
  }

  // A request nobody answers times out at its deadline, on the virtual clock.
  const unanswered = node.request('steady', 'test.increment', { sender: 'test', n: 0 }, { timeoutMs: REQUEST_TIMEOUT_MS }).then(
    () => note('request answered'),
    (error: Error) => note(`request ${error.name}`),
  );
  await until('the request delivered', () => count('steady acknowledged after 0 ms') === 1);
  await clock.advanceAsync(REQUEST_TIMEOUT_MS);
  await unanswered;

  // The persist throttle: the first message is written at once, the next one only THROTTLE_MS after that write.
  await clock.advanceAsync(BETWEEN_CRASHES_MS);
  await node.publish('test.increment', { sender: 'test', n: 1 });
  await until('the first message acknowledged', () => count('steady acknowledged after 0 ms') === 2);
  await clock.advanceAsync(50);
  await node.publish('test.increment', { sender: 'test', n: 2 });
  await clock.advanceAsync(THROTTLE_MS);
  await until('the second message acknowledged', () => trace.some((line) => line.includes('steady acknowledged after 150 ms')));
  return trace;
}

describe('a node under a virtual clock and a seeded Random', () => {
  it('gives the same trace for the same seed, and other restart delays for another seed', async () => {
    const first = await traceOf(1);
    const again = await traceOf(1);
    const other = await traceOf(2);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);

    // What the trace says: the restart delays are the backoff formula on the seeded sequence (the
    // first restart immediate, no random draw), the fourth crash exceeds the intensity, the request
    // times out at its deadline, and the throttle holds the second write for THROTTLE_MS.
    const draws = seededRandom(1);
    const expectedDelays = [1, 2, 3].map((restart) => restartDelayMs(BACKOFF, restart, draws));
    const delays = first.filter((line) => line.includes('restart flaky')).map(delayOf);
    expect(delays).toEqual(expectedDelays);
    expect(first.filter((line) => line.includes('crashing gave up'))).toHaveLength(1);
    const restartsOf = (trace: string[]) => trace.filter((line) => line.includes('restart flaky'));
    expect(restartsOf(other)).not.toEqual(restartsOf(first));
    const strip = (trace: string[]) => trace.filter((line) => !line.includes('flaky') && !line.includes('gave up')).map((line) => line.replace(/^\d+ /, ''));
    expect(strip(other)).toEqual(strip(first));
    const timedOutAt = Number(first.find((line) => line.endsWith('request RequestTimeoutError'))!.split(' ')[0]);
    const deliveredAt = Number(first.find((line) => line.endsWith('steady acknowledged after 0 ms'))!.split(' ')[0]);
    expect(timedOutAt - deliveredAt).toBe(REQUEST_TIMEOUT_MS);
    expect(first.filter((line) => line.startsWith('steady') || line.includes(' steady ')).map((line) => line.replace(/^\d+ /, ''))).toEqual([
      'steady acknowledged after 0 ms',
      'steady acknowledged after 0 ms',
      'steady acknowledged after 150 ms',
    ]);
  });
});
