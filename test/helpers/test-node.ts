/** Starts real nodes (real worker threads, a real SQLite file in a temp dir) for tests, and cleans up after them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createNode, type NodeOptions, type X0tta6bl4Node } from '../../actors/runtime/node.js';
import type { NodeConfigInput } from '../../actors/runtime/config/node-config.js';
import type { ChildSpec, Strategy } from '../../actors/runtime/contracts/supervision-spec.js';
import { testTopics } from '../fixtures/test-topics.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface TestNode {
  node: X0tta6bl4Node;
  dataDir: string;
  logs: LogLine[];
  cleanup(): Promise<void>;
}

export interface TestNodeOptions extends Omit<NodeOptions, 'config' | 'tree' | 'topics' | 'logger'> {
  children: ChildSpec[];
  strategy?: Strategy;
  intensity?: number;
  periodMs?: number;
  config?: NodeConfigInput;
  dataDir?: string;
}

/** Fast restarts unless a test says otherwise: no backoff, so timings reflect the runtime alone. */
const TEST_SUPERVISION = { backoff: { minMs: 0, maxMs: 0, jitter: 0 } };

export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'x0tta6bl4-test-'));
}

export async function startTestNode(options: TestNodeOptions): Promise<TestNode> {
  const dataDir = options.dataDir ?? makeDataDir();
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const { children, strategy, intensity, periodMs, config, dataDir: _ignored, ...rest } = options;
  const node = createNode({
    ...rest,
    config: {
      logLevel: 'info',
      ...config,
      dataDir,
      supervision: { ...TEST_SUPERVISION, ...config?.supervision },
    },
    topics: testTopics,
    logger: pino({ level: 'debug' }, sink),
    tree: {
      kind: 'supervisor',
      id: 'root',
      strategy: strategy ?? 'one_for_one',
      ...(intensity !== undefined ? { intensity } : {}),
      ...(periodMs !== undefined ? { periodMs } : {}),
      children,
    },
  });
  await node.start();
  return {
    node,
    dataDir,
    logs,
    async cleanup() {
      await node.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Asks an actor until it answers (it may be restarting). */
export async function requestWhenServing(node: X0tta6bl4Node, actorId: string, topic: string, payload: unknown, timeoutMs = 10_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await node.request(actorId, topic, payload, { timeoutMs: Math.max(100, deadline - Date.now()) });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      // A refusal comes back at once (a full mailbox): without a turn of the event loop between
      // attempts, the retries would starve the very acknowledgements that make room.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
