/**
 * The worker pool on real threads: threads prepared for the tree's launches load their own actor's
 * module, and only it, before any launch is made; spares load no actor module until an actor has
 * been restarted on one, and then that actor's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../../actors/runtime/host/worker-pool.js';
import { ANNOUNCING_ACTOR } from '../../../fixtures/fixture-paths.js';
import { recordActorImports, type ActorImports } from '../../../helpers/actor-imports.js';
import { until } from '../../../helpers/wait.js';

const A = `${ANNOUNCING_ACTOR}?a`;
const B = `${ANNOUNCING_ACTOR}?b`;

let pool: WorkerPool | undefined;
let imports: ActorImports | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
  imports?.close();
  imports = undefined;
});

describe('worker pool', () => {
  it('prepares a thread per launch at once, each importing only its own actor module, before any launch is made', async () => {
    const seen = (imports = recordActorImports());
    pool = new WorkerPool(0);
    pool.prepareLaunches([A, B]);
    // Both modules load without a take: B's thread does not wait for A's launch.
    await until('both prepared threads to import their module', () => [A, B].every((module) => seen.threadOf(module) !== undefined));
    const forA = await pool.take(A);
    const forB = await pool.take(B);
    expect(forA.worker.threadId).not.toBe(forB.worker.threadId);
    expect(seen.by(forA.worker.threadId)).toEqual([A]);
    expect(seen.by(forB.worker.threadId)).toEqual([B]);
  });

  it('keeps spares free of actor modules until an actor is restarted on one, then readies them with its module', async () => {
    const seen = (imports = recordActorImports());
    pool = new WorkerPool(1);
    pool.prepareLaunches([A]);
    await pool.take(A);
    // The launch took the prepared thread: a spare follows, with the runtime only.
    const first = await pool.take(B);
    // B's start on it succeeded (a restart): the spare that replaced it imports B ahead, and so does the next one.
    pool.started(first, B);
    const second = await pool.take(B);
    await until('the spare waiting at the restart to import its module', () => seen.by(second.worker.threadId).includes(B));
    const third = await pool.take(B);
    await until('the spare spawned after it to import it too', () => seen.by(third.worker.threadId).includes(B));
    // Only the thread prepared for A ever imported A: spares do not load the tree's modules.
    expect(seen.seen.filter((entry) => entry.module === A)).toHaveLength(1);
    expect(seen.by(first.worker.threadId)).toEqual([]);
  });
});
