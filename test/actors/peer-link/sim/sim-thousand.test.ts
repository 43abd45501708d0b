/**
 * The simulation at its size: a 1,000-node random geometric mesh converges from a cold
 * start, a frozen node is declared dead by its neighbours and rejoins, and no routing loop appears
 * at any route change on the way (a partition heals in sim-scenario.test.ts, at 40 nodes: at a
 * thousand it takes more CPU minutes than a test should). It runs in a process of its own (perf/fixtures/sim-run.ts) for the heap a thousand nodes
 * need; in simulated time, so the machine's load changes how long it takes, never what it finds.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SIM_HEAP_FLAGS, SIM_RUN } from '../../../../perf/fixtures/bench-paths.js';
import type { SimScenarioResult } from '../../../../actors/peer-link/sim/sim-scenario.js';

/** A cold start of a thousand nodes and one frozen node take about eight CPU minutes here; a loaded machine may take twice that. */
const TIMEOUT_MS = 25 * 60_000;

function simRun(args: string[]): Promise<{ code: number | null; result: SimScenarioResult | undefined; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...SIM_HEAP_FLAGS, fileURLToPath(SIM_RUN), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1);
      resolve({ code, result: last ? (JSON.parse(last) as SimScenarioResult) : undefined, stderr: err });
    });
  });
}

describe('a 1,000-node simulated mesh', () => {
  it(
    'converges, detects a frozen node and takes it back, and never loops',
    async () => {
      const { code, result, stderr } = await simRun(['--nodes', '1000', '--seed', '1', '--freezes', '1']);
      expect(code, stderr).toBe(0);
      expect(result!.nodes).toBe(1000);
      expect(result!.convergenceMs).toBeDefined();
      expect(result!.freezeDetectionMs).toHaveLength(1);
      expect(result!.freezeDetectionMs[0]).toBeDefined();
      expect(result!.recoveryMs[0]).toBeDefined();
      expect(result!.loopChecks).toBeGreaterThan(1_000_000);
      expect(result!.loops).toBe(0);
    },
    TIMEOUT_MS,
  );

  it('refuses arguments out of range, saying which', async () => {
    const { code, stderr } = await simRun(['--nodes', '1', '--seed', '1']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('nodes must be an integer from 2 to 5000');
  });
});
