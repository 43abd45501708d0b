/**
 * A random geometric mesh, the usual model of a wireless or campus mesh: nodes at uniform random
 * points of the unit square, each linked to every node within a radius chosen for the mean degree
 * asked for (E[degree] = N·π·r²). Such a graph is rarely connected at a small degree, so its
 * components are then joined, nearest pair first, as a deployment adds a relay where the radio
 * does not reach. The same Random gives the same mesh.
 */
import type { Random } from '../timing/random.js';

export interface GeometricMesh {
  /** Each node's point in the unit square. */
  points: Array<{ x: number; y: number }>;
  /** Edges as [lower index, higher index], each once, sorted. */
  edges: Array<[number, number]>;
  /** How many edges were added to join components. */
  joins: number;
}

export function geometricMesh(nodes: number, meanDegree: number, random: Random): GeometricMesh {
  if (!Number.isInteger(nodes) || nodes < 2) throw new RangeError(`a mesh needs 2 nodes or more, got ${nodes}`);
  if (!(meanDegree > 0 && meanDegree < nodes)) throw new RangeError(`a mean degree of ${meanDegree} does not fit ${nodes} nodes`);
  const points = Array.from({ length: nodes }, () => ({ x: random(), y: random() }));
  const radius = Math.sqrt(meanDegree / (nodes * Math.PI));
  // A grid of cells one radius wide: each point is compared with its own and the eight cells around it.
  const cells = Math.max(1, Math.floor(1 / radius));
  const cellOf = (value: number) => Math.min(cells - 1, Math.floor(value * cells));
  const grid = new Map<number, number[]>();
  points.forEach((point, index) => {
    const key = cellOf(point.x) * cells + cellOf(point.y);
    const list = grid.get(key);
    if (list) list.push(index);
    else grid.set(key, [index]);
  });
  const distance = (a: number, b: number) => Math.hypot(points[a]!.x - points[b]!.x, points[a]!.y - points[b]!.y);
  const edges: Array<[number, number]> = [];
  points.forEach((point, a) => {
    const cx = cellOf(point.x);
    const cy = cellOf(point.y);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (const b of grid.get((cx + dx) * cells + (cy + dy)) ?? []) {
          if (b > a && cx + dx >= 0 && cx + dx < cells && cy + dy >= 0 && cy + dy < cells && distance(a, b) <= radius) edges.push([a, b]);
        }
      }
    }
  });
  const joins = joinComponents(nodes, edges, distance);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  return { points, edges, joins };
}

/** Joins the components with the shortest edge from the first component to any other, until one is left. */
function joinComponents(nodes: number, edges: Array<[number, number]>, distance: (a: number, b: number) => number): number {
  const parent = Array.from({ length: nodes }, (_, index) => index);
  const find = (index: number): number => {
    let root = index;
    while (parent[root] !== root) root = parent[root]!;
    while (parent[index] !== root) [index, parent[index]] = [parent[index]!, root];
    return root;
  };
  for (const [a, b] of edges) parent[find(a)] = find(b);
  let joins = 0;
  for (;;) {
    const home = find(0);
    const inside: number[] = [];
    const outside: number[] = [];
    for (let index = 0; index < nodes; index++) (find(index) === home ? inside : outside).push(index);
    if (outside.length === 0) return joins;
    let best: [number, number, number] | undefined;
    for (const a of inside) {
      for (const b of outside) {
        const d = distance(a, b);
        if (!best || d < best[2]) best = [a, b, d];
      }
    }
    const [a, b] = best!;
    edges.push(a < b ? [a, b] : [b, a]);
    parent[find(a)] = find(b);
    joins++;
  }
}
