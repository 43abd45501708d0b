/**
 * The simulation's standard run, the same for the tests and the bench (`npm run bench -- sim`): a
 * cold start of the whole mesh, then faults one at a time, each measured from the instant it is
 * injected: frozen nodes (SIGSTOP, the heartbeat path), killed and restarted nodes (the reset
 * path), and a partition of the mesh along a line through its middle, healed after a while.
 */
import { seededRandom } from '../../../lib/timing/seeded-random.js';
import { SimMesh, type SimMeshOptions } from './sim-mesh.js';

export interface SimScenarioOptions extends Pick<SimMeshOptions, 'seed' | 'nodes' | 'meanDegree' | 'onTrace'> {
  freezes: number;
  kills: number;
  /** How long the partition lasts (simulated ms); 0: none. */
  partitionMs: number;
  /** How long each phase may take (simulated ms) before it counts as not converging. */
  phaseLimitMs?: number;
  /** Simulated ms of quiet between faults: the mesh's timers (anti-entropy, costs) run meanwhile. */
  quietMs?: number;
  onPhase?(phase: string, simMs: number): void;
}

export interface SimScenarioResult {
  seed: number;
  nodes: number;
  edges: number;
  /** Edges added to join the geometric mesh's components. */
  joins: number;
  /** Cold start to every node routing to every other (simulated ms); undefined: not within the limit. */
  convergenceMs: number | undefined;
  /** Process CPU seconds the cold start took. */
  convergenceCpuS: number;
  /** Per frozen node: simulated ms until every neighbour held it dead (undefined: not within the limit). */
  freezeDetectionMs: Array<number | undefined>;
  /** Per killed node: the same. */
  killDetectionMs: Array<number | undefined>;
  /** Per fault: simulated ms from the fault's end (resume, restart) until the mesh routes everywhere again. */
  recoveryMs: Array<number | undefined>;
  /** From the heal until every node routes everywhere again; undefined: no partition, or not within the limit. */
  partitionHealMs: number | undefined;
  /** Whether, before the heal, every node had stopped routing across the partition. */
  partitionSeen: boolean;
  /** After the cold start: simulated seconds run and process CPU seconds spent. */
  faultsSimS: number;
  faultsCpuS: number;
  loops: number;
  loopChecks: number;
  events: number;
  trace: { sha256: string; lines: number };
}

const DEFAULT_PHASE_LIMIT_MS = 60_000;
const DEFAULT_QUIET_MS = 2_000;

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

export async function runSimScenario(options: SimScenarioOptions): Promise<SimScenarioResult> {
  const limit = options.phaseLimitMs ?? DEFAULT_PHASE_LIMIT_MS;
  const quiet = options.quietMs ?? DEFAULT_QUIET_MS;
  // The faults' own choices come from a Random of their own, so they do not shift the mesh's draws.
  const choose = seededRandom(options.seed + 1);
  const startCpu = process.cpuUsage();
  const mesh = new SimMesh({ seed: options.seed, nodes: options.nodes, ...(options.meanDegree !== undefined ? { meanDegree: options.meanDegree } : {}), ...(options.onTrace ? { onTrace: options.onTrace } : {}) });
  const phase = (name: string) => options.onPhase?.(name, mesh.now);
  try {
    mesh.start();
    const converged = await mesh.runUntilConverged(limit);
    const convergenceMs = converged ? mesh.now : undefined;
    const convergenceCpuS = cpuSeconds(startCpu);
    phase('converged');
    const faultsCpu = process.cpuUsage();
    const faultsFrom = mesh.now;
    const freezeDetectionMs: Array<number | undefined> = [];
    const killDetectionMs: Array<number | undefined> = [];
    const recoveryMs: Array<number | undefined> = [];
    const recover = async (from: number) => {
      recoveryMs.push((await mesh.runUntilConverged(limit)) ? mesh.now - from : undefined);
      await mesh.run(mesh.now + quiet);
    };
    const detect = async (victim: number): Promise<number | undefined> => {
      const from = mesh.now;
      const at = await mesh.run(from + limit, () => mesh.declaredDeadByNeighbours(victim));
      return mesh.declaredDeadByNeighbours(victim) ? at - from : undefined;
    };
    // A node whose loss would split the mesh is not chosen: the rest could not converge without it.
    const victim = () => {
      for (;;) {
        const node = Math.floor(choose() * mesh.size);
        if (mesh.staysConnectedWithout(node)) return node;
      }
    };
    if (converged) {
      for (let index = 0; index < options.freezes; index++) {
        const node = victim();
        mesh.freeze(node);
        freezeDetectionMs.push(await detect(node));
        mesh.resume(node);
        await recover(mesh.now);
        phase(`freeze ${index + 1}`);
      }
      for (let index = 0; index < options.kills; index++) {
        const node = victim();
        mesh.kill(node);
        killDetectionMs.push(await detect(node));
        // Converged without it first (its routes withdrawn everywhere), then with it again.
        await mesh.runUntilConverged(limit);
        mesh.restart(node);
        await recover(mesh.now);
        phase(`kill ${index + 1}`);
      }
    }
    let partitionHealMs: number | undefined;
    let partitionSeen = false;
    if (converged && options.partitionMs > 0) {
      const side = new Set(mesh.topology.points.flatMap((point, index) => (point.x < 0.5 ? [index] : [])));
      mesh.partition(side, true);
      await mesh.run(mesh.now + options.partitionMs);
      partitionSeen = mesh.routesAcross(side) === 0;
      mesh.partition(side, false);
      const healedFrom = mesh.now;
      partitionHealMs = (await mesh.runUntilConverged(limit)) ? mesh.now - healedFrom : undefined;
      phase('healed');
    }
    return {
      seed: options.seed,
      nodes: options.nodes,
      edges: mesh.topology.edges.length,
      joins: mesh.topology.joins,
      convergenceMs,
      convergenceCpuS,
      freezeDetectionMs,
      killDetectionMs,
      recoveryMs,
      partitionHealMs,
      partitionSeen,
      faultsSimS: (mesh.now - faultsFrom) / 1000,
      faultsCpuS: cpuSeconds(faultsCpu),
      loops: mesh.loopCount,
      loopChecks: mesh.loopChecks,
      events: mesh.scheduler.eventsRun,
      trace: mesh.traceDigest(),
    };
  } finally {
    mesh.stop();
  }
}
