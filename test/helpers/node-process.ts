/** Real node processes for end-to-end tests: started, watched and always reaped. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HEAP_FLAGS } from '../../actors/runtime/config/heap-flags.js';

export const CLI_MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
export const TEST_NODE_MAIN = fileURLToPath(new URL('../fixtures/run-test-node.js', import.meta.url));

export interface NodeProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

const live = new Set<ChildProcess>();

/**
 * How long a test waits for a node's output before it fails: a deadline that only ends a test that
 * would otherwise hang, never a figure. A node started while the machine runs the whole suite and
 * more has taken over 15 s to print "ready" (it is about 5 s idle).
 */
const OUTPUT_DEADLINE_MS = 30_000;

/**
 * Every process is started with the node's launch flags: what a test sees is the node as it ships.
 * With `netns`, inside that network namespace (`ip netns exec` execs the node, so the child is the
 * node itself and its signals reach it).
 */
export function startProcess(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; netns?: string } = {}): NodeProcess {
  const command = [process.execPath, ...HEAP_FLAGS, ...args];
  const [file, ...rest] = options.netns === undefined ? command : ['ip', 'netns', 'exec', options.netns, ...command];
  const child = spawn(file!, rest, {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    child,
    output: () => text,
    exited,
    async waitForOutput(wanted, timeoutMs = OUTPUT_DEADLINE_MS) {
      const deadline = Date.now() + timeoutMs;
      while (!text.includes(wanted)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process ended before printing '${wanted}':\n${text}`);
        if (Date.now() > deadline) throw new Error(`no '${wanted}' within ${timeoutMs} ms:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    kill(signal = 'SIGTERM') {
      child.kill(signal);
    },
  };
}

/** Kills whatever a test left running (afterEach). */
export async function reapAll(): Promise<void> {
  const children = [...live];
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)))));
}

export function waitForFile(path: string, timeoutMs = OUTPUT_DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (existsSync(path)) resolve();
      else if (Date.now() > deadline) reject(new Error(`${path} did not appear within ${timeoutMs} ms`));
      else setTimeout(check, 10);
    };
    check();
  });
}
