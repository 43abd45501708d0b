/**
 * The deterministic simulation of a mesh (issue 14, item 6): N simulated nodes (sim-node.ts) on a
 * random geometric mesh, one simulated network (sim-network.ts), one scheduler in simulated time
 * (lib/sim/sim-scheduler.ts), everything random drawn from one seed. The same seed gives the same
 * execution, event for event: the trace (every node's log line and every fault the simulator
 * injects, with its simulated time) is hashed as it goes, and two runs of a seed compare hashes.
 *
 * It also watches the routes as they change: on every next-hop change of any node, the path from
 * that node is followed hop by hop, and a path that comes back to a node it passed is a routing
 * loop, counted and kept (the first) for the test to show. And it counts, as routes change, how
 * many (node, destination) pairs have a route, so that convergence (every live node routes to every
 * other live node and to no dead one) is known at the instant it happens, not at the next poll.
 */
import { createHash, type Hash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import { DEFAULT_HEARTBEAT_TIMING, type HeartbeatTiming, type SuspicionTiming } from '../../../lib/mesh/failure-detection.js';
import { geometricMesh, type GeometricMesh } from '../../../lib/mesh/geometric-mesh.js';
import { followRoute } from '../../../lib/mesh/route-path.js';
import { ProcessClock } from '../../../lib/sim/process-clock.js';
import { SimScheduler } from '../../../lib/sim/sim-scheduler.js';
import { standInSigner } from '../../../lib/sim/stand-in-signer.js';
import { seededRandom } from '../../../lib/timing/seeded-random.js';
import type { Random } from '../../../lib/timing/random.js';
import { DEFAULT_LISTENER_LIMITS } from '../listener-limits.js';
import { SimNetwork } from './sim-network.js';
import { SimNode, type SimNodeContext } from './sim-node.js';

const stringify = configure({ bigint: true, deterministic: true });

export interface SimMeshOptions {
  seed: number;
  nodes: number;
  /** Mean degree of the geometric mesh (default 4). */
  meanDegree?: number;
  /** One-way latency of a wire: `baseMs` plus `perUnitMs` per unit of distance (the square's side), plus up to `jitterMs`. */
  latency?: { baseMs?: number; perUnitMs?: number; jitterMs?: number };
  heartbeat?: Partial<HeartbeatTiming>;
  suspicion?: Partial<SuspicionTiming>;
  /** Each trace line as it is made (the hash is kept either way). */
  onTrace?(line: string): void;
}

/** Defaults: a campus or metro mesh, 1 ms a hop plus up to 10 ms across the area, a little jitter. */
export const DEFAULT_SIM_LATENCY = { baseMs: 1, perUnitMs: 10, jitterMs: 0.5 };

const MAX_LOOPS_KEPT = 10;
/** A node that leaves ends its process this long after its goodbyes (peer-links.ts's STOP_DRAIN_MS is the most it waits). */
const LEAVE_EXIT_MS = 50;

export interface RoutingLoop {
  at: number;
  destination: string;
  path: string[];
}

/** The seed of node `index`'s own Random: distinct per node and per restart, fixed by the run's seed. */
function nodeSeed(seed: number, index: number, run: number): number {
  return (seed * 1_000_003 + index * 7_919 + run * 104_729) % Number.MAX_SAFE_INTEGER;
}

export class SimMesh {
  readonly scheduler = new SimScheduler();
  readonly network: SimNetwork;
  readonly topology: GeometricMesh;
  readonly ids: string[];
  private readonly random: Random;
  private readonly nodes: SimNode[] = [];
  private readonly runs: number[] = [];
  private readonly byId = new Map<string, number>();
  private readonly byAddress = new Map<string, string>();
  private readonly context: SimNodeContext;
  private readonly trace: Hash = createHash('sha256');
  private traceLines = 0;
  private failure: unknown;
  /** Per node index: destinations it has a route to, and of those how many are dead nodes. */
  private readonly routed: number[];
  private readonly adjacency: ReadonlyArray<readonly number[]>;
  private readonly routedToDead: number[];
  private totalRouted = 0;
  private totalRoutedToDead = 0;
  private readonly dead = new Set<number>();
  /** The first routing loops seen (at most MAX_LOOPS_KEPT), and how many there were in all. */
  readonly loops: RoutingLoop[] = [];
  loopCount = 0;
  loopChecks = 0;
  private readonly secretKeys: Uint8Array[] = [];

  constructor(private readonly options: SimMeshOptions) {
    if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new RangeError(`the seed must be a non-negative safe integer, got ${options.seed}`);
    this.random = seededRandom(options.seed);
    const bytes = (length: number) => {
      const out = new Uint8Array(length);
      for (let index = 0; index < length; index++) out[index] = Math.floor(this.random() * 256);
      return out;
    };
    const signer = standInSigner(bytes);
    this.topology = geometricMesh(options.nodes, options.meanDegree ?? 4, this.random);
    const width = String(options.nodes - 1).length;
    this.ids = Array.from({ length: options.nodes }, (_, index) => `spiffe://sim.x0tta6bl4.test/node/${String(index).padStart(width, '0')}`);
    const publicKeys = new Map<string, Uint8Array>();
    this.ids.forEach((id, index) => {
      const { publicKey, secretKey } = signer.keypair();
      publicKeys.set(id, publicKey);
      this.secretKeys.push(secretKey);
      this.byId.set(id, index);
      this.byAddress.set(this.addressOf(index), id);
    });
    const latency = { ...DEFAULT_SIM_LATENCY, ...options.latency };
    this.network = new SimNetwork({ scheduler: this.scheduler, random: this.random, jitterMs: latency.jitterMs, dialTimeoutMs: DEFAULT_LISTENER_LIMITS.handshakeDeadlineMs });
    for (const [a, b] of this.topology.edges) {
      const pa = this.topology.points[a]!;
      const pb = this.topology.points[b]!;
      this.network.addWire(this.ids[a]!, this.ids[b]!, latency.baseMs + latency.perUnitMs * Math.hypot(pa.x - pb.x, pa.y - pb.y));
    }
    this.adjacency = this.ids.map((id) => this.network.wiredTo(id).map((peer) => this.indexOf(peer)));
    this.routed = new Array<number>(options.nodes).fill(0);
    this.routedToDead = new Array<number>(options.nodes).fill(0);
    this.context = {
      network: this.network,
      signer,
      publicKeys,
      verified: new WeakMap(),
      hostAt: (address) => this.byAddress.get(address),
      heartbeat: { ...DEFAULT_HEARTBEAT_TIMING, ...options.heartbeat },
      suspicion: options.suspicion ?? {},
      log: (node, level, message, fields) => {
        if (this.current(node) !== undefined) this.record(`${this.byId.get(node.id)} ${level} ${message} ${stringify(fields)}`);
      },
      nextHopChanged: (node, destination, nextHop, previous) => this.nextHopChanged(node, destination, nextHop, previous),
      fail: (error) => {
        this.failure ??= error;
      },
    };
  }

  /** Every node's process starts at simulated time 0. */
  start(): void {
    for (let index = 0; index < this.ids.length; index++) this.launch(index, 0);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Simulated ms since the start. */
  get now(): number {
    return this.scheduler.now;
  }

  /** The current process of a node (undefined while it is dead). */
  node(index: number): SimNode | undefined {
    return this.dead.has(index) ? undefined : this.nodes[index];
  }

  isAlive(index: number): boolean {
    return !this.dead.has(index);
  }

  indexOf(id: string): number {
    const index = this.byId.get(id);
    if (index === undefined) throw new RangeError(`${id} is not a node of the simulation`);
    return index;
  }

  /** Indices of the nodes a wire joins to `index`. */
  neighbours(index: number): readonly number[] {
    return this.adjacency[index]!;
  }

  /**
   * Runs the simulation until `untilMs` (simulated), or until `stopWhen` holds after an instant.
   * Returns the simulated time it stopped at. A fault of the mesh code fails the run.
   */
  async run(untilMs: number, stopWhen?: () => boolean): Promise<number> {
    let stoppedAt: number | undefined;
    await this.scheduler.runUntil(untilMs, (now) => {
      if (this.failure !== undefined) return true;
      if (stopWhen?.() === true) {
        stoppedAt = now;
        return true;
      }
      return false;
    });
    if (this.failure !== undefined) throw this.failure;
    return stoppedAt ?? this.scheduler.now;
  }

  /** Every live node has a route to every other live node and none to a dead one. */
  converged(): boolean {
    const live = this.ids.length - this.dead.size;
    return this.totalRoutedToDead === 0 && this.totalRouted === live * (live - 1);
  }

  /** Runs until converged (true) or until `limitMs` more simulated ms have passed (false). */
  async runUntilConverged(limitMs: number): Promise<boolean> {
    if (this.converged()) return true;
    await this.run(this.now + limitMs, () => this.converged());
    return this.converged();
  }

  /** kill -9 of a node's process: its kernel resets its connections; nothing it scheduled runs. */
  kill(index: number): void {
    const node = this.nodes[index]!;
    if (this.dead.has(index)) return;
    this.record(`sim kill ${index}`);
    node.clock.end();
    this.network.processEnded(node.id);
    this.markDead(index);
  }

  /** The node's process starts again (its lasting key, a new run: a newer incarnation). */
  restart(index: number): void {
    if (!this.dead.has(index)) throw new RangeError(`node ${index} is running`);
    this.record(`sim restart ${index}`);
    this.launch(index, this.runs[index]! + 1);
  }

  /** SIGSTOP: the process answers nothing and its timers wait. */
  freeze(index: number): void {
    this.record(`sim freeze ${index}`);
    this.nodes[index]!.clock.freeze();
  }

  /** SIGCONT. */
  resume(index: number): void {
    this.record(`sim resume ${index}`);
    this.nodes[index]!.clock.resume();
  }

  /** A graceful leave: the node says it leaves and closes its links saying goodbye, then its process ends. */
  leave(index: number): void {
    this.record(`sim leave ${index}`);
    const node = this.nodes[index]!;
    node.leave();
    this.markDead(index);
    this.scheduler.schedule(LEAVE_EXIT_MS, () => {
      node.clock.end();
      this.network.processEnded(node.id);
    });
  }

  /** Whether the live nodes other than `index` are all connected by wires that are not cut (its loss would not split the mesh). */
  staysConnectedWithout(index: number): boolean {
    const live = this.ids.map((_, other) => other).filter((other) => other !== index && !this.dead.has(other));
    if (live.length === 0) return true;
    return this.reachedFrom(live[0]!, (_, next) => next === index).size === live.length;
  }

  /** Cuts every wire between `side` and the rest (a partition), or mends them (heal). */
  partition(side: ReadonlySet<number>, cut: boolean): void {
    this.record(`sim ${cut ? 'partition' : 'heal'} ${[...side].sort((a, b) => a - b).join(',')}`);
    for (const [a, b] of this.topology.edges) if (side.has(a) !== side.has(b)) this.network.setCut(this.ids[a]!, this.ids[b]!, cut);
  }

  cut(a: number, b: number, cut: boolean): void {
    this.record(`sim ${cut ? 'cut' : 'mend'} ${a} ${b}`);
    this.network.setCut(this.ids[a]!, this.ids[b]!, cut);
  }

  lossy(a: number, b: number, share: number): void {
    this.record(`sim lossy ${a} ${b} ${share}`);
    this.network.setLoss(this.ids[a]!, this.ids[b]!, share);
  }

  /** The reroute-around remedy at node `a` for its link to `b` (or its undo). */
  avoid(a: number, b: number, avoided: boolean): void {
    this.record(`sim ${avoided ? 'avoid' : 'unavoid'} ${a} ${b}`);
    this.nodes[a]!.avoid(this.ids[b]!, avoided);
  }

  /** Whether `b` can be reached from `a` over live nodes and whole wires without the wire between them. */
  reachableAround(a: number, b: number): boolean {
    return this.reachedFrom(a, (at, next) => at === a && next === b).has(b);
  }

  /** The live nodes reached from `start` over wires that are not cut, leaving out the steps `skip` names. */
  private reachedFrom(start: number, skip: (at: number, next: number) => boolean): Set<number> {
    const seen = new Set([start]);
    const queue = [start];
    for (let at = queue.shift(); at !== undefined; at = queue.shift()) {
      for (const next of this.neighbours(at)) {
        if (skip(at, next) || this.dead.has(next) || seen.has(next) || this.network.isCut(this.ids[at]!, this.ids[next]!)) continue;
        seen.add(next);
        queue.push(next);
      }
    }
    return seen;
  }

  /** Whether every live wired neighbour of `index` holds it dead (or left). */
  declaredDeadByNeighbours(index: number): boolean {
    const id = this.ids[index]!;
    return this.neighbours(index).every((other) => this.dead.has(other) || this.nodes[other]!.aliveMember(id) === undefined);
  }

  /** Live (node, destination) pairs on opposite sides of `side` where the node still holds a route. */
  routesAcross(side: ReadonlySet<number>): number {
    let count = 0;
    for (let index = 0; index < this.nodes.length; index++) {
      if (this.dead.has(index)) continue;
      for (let other = 0; other < this.nodes.length; other++) {
        if (side.has(index) !== side.has(other) && !this.dead.has(other) && this.nodes[index]!.nextHop(this.ids[other]!) !== undefined) count++;
      }
    }
    return count;
  }

  /** SHA-256 of the trace so far, and how many lines it has. */
  traceDigest(): { sha256: string; lines: number } {
    return { sha256: this.trace.copy().digest('hex'), lines: this.traceLines };
  }

  /** Stops every live node (the end of a run). */
  stop(): void {
    for (let index = 0; index < this.nodes.length; index++) if (!this.dead.has(index)) this.nodes[index]!.stop(true);
  }

  private addressOf(index: number): string {
    return `node-${index}.sim.invalid:7000`;
  }

  private launch(index: number, run: number): void {
    const clock = new ProcessClock(this.scheduler);
    const identity = { spiffeId: this.ids[index]!, address: this.addressOf(index), secretKey: this.secretKeys[index]! };
    const node = new SimNode(identity, clock, seededRandom(nodeSeed(this.options.seed, index, run)), this.context);
    this.nodes[index] = node;
    this.runs[index] = run;
    this.dead.delete(index);
    this.routed[index] = 0;
    this.routedToDead[index] = 0;
    // Routes other nodes still hold to it are routes to a live node again.
    const id = this.ids[index]!;
    this.forEachRouteTo(id, (other) => {
      this.routedToDead[other]!--;
      this.totalRoutedToDead--;
    });
    this.network.attach(node);
    node.start();
  }

  private markDead(index: number): void {
    this.dead.add(index);
    this.totalRouted -= this.routed[index]!;
    this.totalRoutedToDead -= this.routedToDead[index]!;
    this.forEachRouteTo(this.ids[index]!, (other) => {
      this.routedToDead[other]!++;
      this.totalRoutedToDead++;
    });
  }

  /** Each live node other than the destination that holds a route to it. */
  private forEachRouteTo(destination: string, each: (index: number) => void): void {
    for (let index = 0; index < this.nodes.length; index++) {
      const node = this.nodes[index];
      if (!node || this.dead.has(index) || node.id === destination) continue;
      if (node.nextHop(destination) !== undefined) each(index);
    }
  }

  private current(node: SimNode): number | undefined {
    const index = this.byId.get(node.id)!;
    return this.nodes[index] === node && !this.dead.has(index) ? index : undefined;
  }

  private record(line: string): void {
    const text = `${this.scheduler.now.toFixed(1)} ${line}`;
    this.trace.update(text).update('\n');
    this.traceLines++;
    this.options.onTrace?.(text);
  }

  private nextHopChanged(node: SimNode, destination: string, nextHop: string | undefined, previous: string | undefined): void {
    const index = this.current(node);
    if (index === undefined) return;
    const destinationIndex = this.byId.get(destination);
    const toDead = destinationIndex !== undefined && this.dead.has(destinationIndex);
    const delta = (nextHop !== undefined ? 1 : 0) - (previous !== undefined ? 1 : 0);
    this.routed[index]! += delta;
    this.totalRouted += delta;
    if (toDead) {
      this.routedToDead[index]! += delta;
      this.totalRoutedToDead += delta;
    }
    if (nextHop !== undefined) this.checkLoop(index, destination);
  }

  /** Follows the path from the node whose next hop just changed: coming back to a node already passed is a loop. */
  private checkLoop(from: number, destination: string): void {
    this.loopChecks++;
    const route = followRoute(this.ids[from]!, destination, (id) => {
      const index = this.byId.get(id);
      return index === undefined || this.dead.has(index) ? undefined : this.nodes[index]!.nextHop(destination);
    });
    if (route.kind !== 'loop') return;
    this.loopCount++;
    if (this.loops.length < MAX_LOOPS_KEPT) this.loops.push({ at: this.scheduler.now, destination, path: route.path });
    this.record(`sim loop ${destination} ${route.path.join(' ')}`);
  }
}
