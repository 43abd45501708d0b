/**
 * A random mesh topology for benchmarks and the simulation: `nodes` nodes on a ring (so the mesh is
 * connected however the chords fall), then random chords until every node has at least
 * `minDegree` links, none more than `maxDegree`. The same seed gives the same mesh.
 */
import type { Random } from '../timing/random.js';

export interface RandomMeshOptions {
  nodes: number;
  minDegree: number;
  maxDegree: number;
  random: Random;
}

/** Edges as [lower index, higher index], each once, sorted. */
export function randomMesh({ nodes, minDegree, maxDegree, random }: RandomMeshOptions): Array<[number, number]> {
  if (nodes < 3) throw new RangeError('a mesh of fewer than 3 nodes has no ring');
  if (minDegree < 2 || maxDegree < minDegree || minDegree >= nodes) throw new RangeError(`degrees ${minDegree}..${maxDegree} do not fit ${nodes} nodes`);
  const edges = new Set<string>();
  const degree = new Array<number>(nodes).fill(0);
  const add = (a: number, b: number) => {
    const [low, high] = a < b ? [a, b] : [b, a];
    edges.add(`${low} ${high}`);
    degree[low]!++;
    degree[high]!++;
  };
  const linked = (a: number, b: number) => edges.has(a < b ? `${a} ${b}` : `${b} ${a}`);
  for (let index = 0; index < nodes; index++) add(index, (index + 1) % nodes);
  // Chords between nodes still under minDegree first, then any with room: a bounded number of tries, then whatever fits.
  for (let tries = 0; tries < nodes * 100 && degree.some((value) => value < minDegree); tries++) {
    const short = degree.map((value, index) => [value, index] as const).filter(([value]) => value < minDegree).map(([, index]) => index);
    const a = short[Math.floor(random() * short.length)]!;
    const candidates = degree.map((value, index) => [value, index] as const).filter(([value, index]) => index !== a && value < maxDegree && !linked(a, index)).map(([, index]) => index);
    if (candidates.length === 0) continue;
    add(a, candidates[Math.floor(random() * candidates.length)]!);
  }
  return [...edges].map((edge) => edge.split(' ').map(Number) as [number, number]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

/** Each node's neighbours, by index. */
export function neighboursOf(nodes: number, edges: ReadonlyArray<readonly [number, number]>): number[][] {
  const neighbours = Array.from({ length: nodes }, () => [] as number[]);
  for (const [a, b] of edges) {
    neighbours[a]!.push(b);
    neighbours[b]!.push(a);
  }
  return neighbours;
}
