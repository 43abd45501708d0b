/**
 * The sim suite: the deterministic simulation of a 1,000-node mesh (issue 14, item 6), each run
 * one seed in a process of its own (fixtures/sim-run.ts), in simulated time: the same membership,
 * failure detector and routing code the peer links run, on a simulated network (sim-network.ts:
 * 1 ms a hop plus up to 10 ms across the area, 0.5 ms jitter) with the stand-in for ML-DSA
 * (lib/sim/stand-in-signer.ts). Per run:
 * - `sim_convergence_ms`: cold start of every node at once until every node routes to every other
 *   (simulated ms); `sim_convergence_cpu_s`: the process CPU seconds that took;
 * - `sim_mttd_ms`: a node frozen (SIGSTOP: nothing closes, the heartbeat path) until every one of
 *   its neighbours holds it dead, one sample per frozen node;
 * - `sim_cpu_s_per_sim_s`: process CPU seconds per simulated second over everything after the cold
 *   start (the frozen nodes, their recovery, and the quiet between them), a route-loop check on
 *   every route change included;
 * - `sim_recovery_ms`: from the frozen node's resume until every node routes to every other again;
 * - `sim_routing_loops`: routing loops seen at any route change of the whole run (target 0).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SIM_HEAP_FLAGS, SIM_RUN } from '../fixtures/bench-paths.js';
import { figure, progress, round } from '../stats.js';
import type { SimScenarioResult } from '../../actors/peer-link/sim/sim-scenario.js';
import type { Suite } from './suite.js';

const SUITE = 'sim';
const NODES = 1_000;
/**
 * A cold start of 1,000 nodes takes about five CPU minutes and each fault two to three: the seeds run
 * two at a time, one process each (the simulated-time figures do not depend on the machine's load,
 * and CPU seconds are each process's own).
 */
const FULL = { seeds: [1, 2], freezes: 2, kills: 0, partitionMs: 0 };
const QUICK = { seeds: [1], freezes: 1, kills: 0, partitionMs: 0 };
const PARALLEL = 2;

type RunResult = SimScenarioResult & { heapUsedMb: number; realS: number };

function runSeed(seed: number, counts: { freezes: number; kills: number; partitionMs: number }): Promise<RunResult> {
  const args = [...SIM_HEAP_FLAGS, fileURLToPath(SIM_RUN), '--nodes', String(NODES), '--seed', String(seed), '--freezes', String(counts.freezes), '--kills', String(counts.kills), '--partition-ms', String(counts.partitionMs)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) reject(new Error(`sim-run for seed ${seed} exited with ${code ?? signal}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)!) as RunResult);
    });
  });
}

/** Samples that were measured; a phase that did not finish within its limit is counted apart, never as a number. */
function measured(values: Array<number | undefined>): { samples: number[]; missing: number } {
  const samples = values.filter((value): value is number => value !== undefined);
  return { samples, missing: values.length - samples.length };
}

export const simSuite: Suite = {
  name: SUITE,
  description: 'The deterministic simulation of a 1,000-node mesh: convergence, detection, CPU per simulated second',
  async run({ quick, sink }) {
    const counts = quick ? QUICK : FULL;
    const runs: RunResult[] = [];
    for (let first = 0; first < counts.seeds.length; first += PARALLEL) {
      const batch = counts.seeds.slice(first, first + PARALLEL);
      for (const result of await Promise.all(batch.map((seed) => runSeed(seed, counts)))) {
        progress(`sim: seed ${result.seed}: converged in ${result.convergenceMs} ms simulated (${round(result.convergenceCpuS)} s CPU), ${round(result.faultsSimS)} s simulated after it in ${round(result.faultsCpuS)} s CPU, ${result.loops} loops, ${result.realS} s real`);
        runs.push(result);
      }
    }
    const config = {
      nodes: NODES,
      mesh: 'random geometric, mean degree 4, components joined nearest first',
      latency: '1 ms a hop + 10 ms per side of the area, up to 0.5 ms jitter',
      seeds: counts.seeds,
      faults: `${counts.freezes} frozen nodes, one after another, each resumed once every neighbour holds it dead`,
      crypto: 'the stand-in for ML-DSA-65 (lib/sim/stand-in-signer.ts), not liboqs',
    };
    const convergence = measured(runs.map((run) => run.convergenceMs));
    sink.emit(figure(SUITE, 'sim_convergence_ms', 'ms (simulated)', convergence.samples, { config, not_converged: convergence.missing, edges: runs.map((run) => run.edges) }));
    sink.emit(figure(SUITE, 'sim_convergence_cpu_s', 's', runs.map((run) => run.convergenceCpuS), { config, heap_used_mb: runs.map((run) => run.heapUsedMb) }));
    const detection = measured(runs.flatMap((run) => run.freezeDetectionMs));
    sink.emit(figure(SUITE, 'sim_mttd_ms', 'ms (simulated)', detection.samples, { config, fault: 'SIGSTOP of a node whose loss does not split the mesh, until every neighbour holds it dead', not_detected: detection.missing, kill_detection_ms: runs.flatMap((run) => run.killDetectionMs) }));
    sink.emit(figure(SUITE, 'sim_cpu_s_per_sim_s', 's/s', runs.map((run) => run.faultsCpuS / run.faultsSimS), { config, simulated_s: runs.map((run) => round(run.faultsSimS)), cpu_s: runs.map((run) => round(run.faultsCpuS)), events: runs.map((run) => run.events) }));
    // A partition of a thousand nodes is not part of the suite yet: one run of it (5 s, then healed)
    // had taken more than seven CPU minutes when it was stopped, every member across the cut claimed
    // dead and refuting at a new incarnation once healed. sim-run.ts's --partition-ms runs it.
    sink.emit(figure(SUITE, 'sim_recovery_ms', 'ms (simulated)', measured(runs.flatMap((run) => run.recoveryMs)).samples, { config, fault: 'from the frozen node resumed until every node routes to every other again' }));
    sink.emit(figure(SUITE, 'sim_routing_loops', 'loops', runs.map((run) => run.loops), { config, loop_checks: runs.map((run) => run.loopChecks), traces: runs.map((run) => run.trace) }));
  },
};
