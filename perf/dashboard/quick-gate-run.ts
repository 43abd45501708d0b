/**
 * Runs the gate suite --quick in a child process (perf/run.js, not saved) and collects the
 * figures it prints. A child, because a run can hang in a way nothing in its own process can time
 * out: a thread deadlocked inside node:crypto (lib/crypto/x25519.ts says how one did) runs no
 * timers. The child is killed at the deadline and the run reported as hung; its progress lines go
 * to this process's stderr as they come, so the log shows where it stopped.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Figure } from '../stats.js';
import { HEAP_FLAGS } from '../../actors/runtime/config/heap-flags.js';
import { figureSchema } from './results-file.js';

const RUNNER = fileURLToPath(new URL('../run.js', import.meta.url));

/**
 * The quick gate takes 30 to 80 s on the shared 2-core machine (up to 150 s with two CPU burners
 * and a load average of 25); a run still going after 5 minutes has hung.
 */
export const QUICK_GATE_DEADLINE_MS = 300_000;
/** Far more than the gate's dozen figure lines: output beyond it is not a figure. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

export type QuickGateRun = { ok: true; figures: Figure[] } | { ok: false; why: string; figures: Figure[] };

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** `runner` is perf/run.js; tests give a script of their own. */
export function runQuickGate(suite: string, deadlineMs: number = QUICK_GATE_DEADLINE_MS, runner: string = RUNNER): Promise<QuickGateRun> {
  return new Promise((resolve) => {
    // Under the heap bound the node ships with, as `npm run bench` runs the suites.
    const child = spawn(process.execPath, [...HEAP_FLAGS, runner, suite, '--quick', '--no-save'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const figures: Figure[] = [];
    let pending = '';
    let bytes = 0;
    let failure: string | undefined;
    const take = (line: string) => {
      if (!line.startsWith('{')) return;
      process.stdout.write(`${line}\n`);
      const parsed = figureSchema.safeParse(parseJson(line));
      if (parsed.success) figures.push(parsed.data as Figure);
      else failure ??= `the ${suite} suite printed a figure that does not parse: ${line.slice(0, 200)}`;
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      bytes += chunk.length;
      if (bytes > MAX_OUTPUT_BYTES) {
        failure ??= `the ${suite} suite printed more than ${MAX_OUTPUT_BYTES} bytes`;
        child.kill('SIGKILL');
        return;
      }
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) take(line);
    });
    const timer = setTimeout(() => {
      failure ??= `the ${suite} suite did not finish within ${deadlineMs / 1_000} s and was killed (hung: its last progress line above says where)`;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.on('error', (error) => {
      failure ??= `the ${suite} suite could not run: ${error.message}`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      take(pending);
      if (!failure && code !== 0) failure = `the ${suite} suite exited with ${signal ?? `code ${code}`}`;
      resolve(failure ? { ok: false, why: failure, figures } : { ok: true, figures });
    });
  });
}
