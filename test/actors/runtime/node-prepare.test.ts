/**
 * node.prepare(): the tree's worker threads load their actors' modules ahead of start(), without
 * touching the data directory; start() then runs each actor on the thread prepared for it, and a
 * node that never starts lets its threads go at stop().
 */
import { readdirSync, rmSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createNode, type X0tta6bl4Node } from '../../../actors/runtime/node.js';
import { ANNOUNCING_ACTOR } from '../../fixtures/fixture-paths.js';
import { testTopics } from '../../fixtures/test-topics.js';
import { makeDataDir, requestWhenServing } from '../../helpers/test-node.js';
import { recordActorImports, type ActorImports } from '../../helpers/actor-imports.js';
import { until } from '../../helpers/wait.js';

const FIRST = `${ANNOUNCING_ACTOR}?first`;
const SECOND = `${ANNOUNCING_ACTOR}?second`;

let node: X0tta6bl4Node | undefined;
let dataDir: string | undefined;
let imports: ActorImports | undefined;
afterEach(async () => {
  await node?.stop();
  node = undefined;
  imports?.close();
  imports = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

function preparedNode(): { node: X0tta6bl4Node; imports: ActorImports } {
  imports = recordActorImports();
  dataDir = makeDataDir();
  node = createNode({
    config: { dataDir, logLevel: 'fatal' },
    topics: testTopics,
    logger: pino({ level: 'silent' }),
    tree: {
      kind: 'supervisor',
      id: 'root',
      strategy: 'one_for_one',
      children: [
        { kind: 'actor', id: 'first', module: FIRST },
        { kind: 'actor', id: 'second', module: SECOND },
      ],
    },
  });
  node.prepare();
  return { node, imports };
}

describe('node.prepare()', () => {
  it('loads every worker actor module in its own thread before start, writing nothing to the data directory', async () => {
    const { node: prepared, imports: seen } = preparedNode();
    await until('both actor modules to load', () => seen.threadOf(FIRST) !== undefined && seen.threadOf(SECOND) !== undefined);
    expect(seen.threadOf(FIRST)).not.toBe(seen.threadOf(SECOND));
    expect(readdirSync(dataDir!)).toEqual([]);
    await prepared.stop();
    expect(readdirSync(dataDir!)).toEqual([]);
  });

  it('starts each actor on the thread prepared for it', async () => {
    const { node: prepared, imports: seen } = preparedNode();
    await until('both actor modules to load', () => seen.threadOf(FIRST) !== undefined && seen.threadOf(SECOND) !== undefined);
    await prepared.start();
    expect(await requestWhenServing(prepared, 'second', 'test.get', {})).toEqual({ count: 0 });
    expect((await prepared.health('first')).threadId).toBe(seen.threadOf(FIRST));
    expect((await prepared.health('second')).threadId).toBe(seen.threadOf(SECOND));
    // Each module was imported once: by its own thread, which the start took.
    expect(seen.seen.filter((entry) => entry.module === FIRST || entry.module === SECOND)).toHaveLength(2);
  });
});
