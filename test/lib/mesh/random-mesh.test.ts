/**
 * Random meshes for the benchmark and the simulation: connected (a ring underneath), every node
 * within the degrees asked, no edge twice or to itself, the same mesh for the same seed and another
 * for another; impossible degrees refused.
 */
import { describe, expect, it } from 'vitest';
import { neighboursOf, randomMesh } from '../../../lib/mesh/random-mesh.js';
import { seededRandom } from '../../../lib/timing/seeded-random.js';

function connected(nodes: number, neighbours: number[][]): boolean {
  const seen = new Set([0]);
  const queue = [0];
  while (queue.length > 0) for (const next of neighbours[queue.shift()!]!) if (!seen.has(next) && seen.add(next)) queue.push(next);
  return seen.size === nodes;
}

describe('random mesh', () => {
  it.each([6, 20, 101])('links %i nodes connected, each with 3 to 4 links, no edge twice', (nodes) => {
    const edges = randomMesh({ nodes, minDegree: 3, maxDegree: 4, random: seededRandom(nodes) });
    const neighbours = neighboursOf(nodes, edges);
    expect(connected(nodes, neighbours)).toBe(true);
    for (const around of neighbours) {
      expect(around.length).toBeGreaterThanOrEqual(3);
      expect(around.length).toBeLessThanOrEqual(4);
    }
    expect(new Set(edges.map(([a, b]) => `${a} ${b}`)).size).toBe(edges.length);
    for (const [a, b] of edges) expect(a).toBeLessThan(b);
  });

  it('gives the same mesh for the same seed, another for another', () => {
    const mesh = (seed: number) => randomMesh({ nodes: 20, minDegree: 3, maxDegree: 4, random: seededRandom(seed) });
    expect(mesh(14)).toEqual(mesh(14));
    expect(mesh(14)).not.toEqual(mesh(15));
  });

  it('refuses degrees that cannot be met', () => {
    const random = seededRandom(1);
    expect(() => randomMesh({ nodes: 2, minDegree: 2, maxDegree: 2, random })).toThrow(RangeError);
    expect(() => randomMesh({ nodes: 4, minDegree: 4, maxDegree: 4, random })).toThrow(RangeError);
    expect(() => randomMesh({ nodes: 10, minDegree: 3, maxDegree: 2, random })).toThrow(RangeError);
  });
});
