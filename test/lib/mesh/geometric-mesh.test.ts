import { describe, expect, it } from 'vitest';
import { geometricMesh, type GeometricMesh } from '../../../lib/mesh/geometric-mesh.js';
import { seededRandom } from '../../../lib/timing/seeded-random.js';

const radiusOf = (nodes: number, meanDegree: number) => Math.sqrt(meanDegree / (nodes * Math.PI));

function distance(mesh: GeometricMesh, a: number, b: number): number {
  const p = mesh.points[a]!;
  const q = mesh.points[b]!;
  return Math.hypot(p.x - q.x, p.y - q.y);
}

/** How many nodes a breadth-first walk from node 0 reaches. */
function reachable(mesh: GeometricMesh): number {
  const neighbours = mesh.points.map((): number[] => []);
  for (const [a, b] of mesh.edges) {
    neighbours[a]!.push(b);
    neighbours[b]!.push(a);
  }
  const seen = new Set([0]);
  const queue = [0];
  while (queue.length > 0) {
    for (const next of neighbours[queue.shift()!]!) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen.size;
}

/** A Random that plays back `values`, then fails the test if asked for more. */
function playback(values: number[]): () => number {
  let index = 0;
  return () => {
    if (index >= values.length) throw new Error('asked for more random values than the mesh needs');
    return values[index++]!;
  };
}

describe('geometricMesh', () => {
  it('gives the same mesh for the same seed and another for another seed', () => {
    const mesh = geometricMesh(200, 5, seededRandom(7));
    expect(geometricMesh(200, 5, seededRandom(7))).toEqual(mesh);
    expect(geometricMesh(200, 5, seededRandom(8)).points).not.toEqual(mesh.points);
  });

  it('places each node at a point of the unit square', () => {
    const mesh = geometricMesh(300, 6, seededRandom(1));
    expect(mesh.points).toHaveLength(300);
    expect(mesh.points.every(({ x, y }) => x >= 0 && x < 1 && y >= 0 && y < 1)).toBe(true);
  });

  it('lists each edge once as [low, high], sorted, with no self-loop', () => {
    for (const seed of [1, 2, 3]) {
      const mesh = geometricMesh(250, 6, seededRandom(seed));
      const keys = new Set<string>();
      mesh.edges.forEach(([a, b], index) => {
        expect(Number.isInteger(a) && Number.isInteger(b)).toBe(true);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThan(b);
        expect(b).toBeLessThan(250);
        keys.add(`${a}-${b}`);
        if (index > 0) {
          const [pa, pb] = mesh.edges[index - 1]!;
          expect(pa < a || (pa === a && pb < b)).toBe(true);
        }
      });
      expect(keys.size).toBe(mesh.edges.length);
    }
  });

  it('is connected, joining components when the degree is too small for that', () => {
    let joined = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const [nodes, degree] of [
        [2, 0.5],
        [50, 1],
        [300, 2],
        [300, 8],
      ] as const) {
        const mesh = geometricMesh(nodes, degree, seededRandom(seed));
        expect(reachable(mesh)).toBe(nodes);
        joined += mesh.joins;
      }
    }
    expect(joined).toBeGreaterThan(0);
  });

  it('links exactly the pairs within the radius, every other edge being one of the joins', () => {
    for (const [nodes, degree, seed] of [
      [300, 2, 1],
      [300, 6, 2],
      [120, 20, 3],
    ] as const) {
      const mesh = geometricMesh(nodes, degree, seededRandom(seed));
      const radius = radiusOf(nodes, degree);
      const edgeKeys = new Set(mesh.edges.map(([a, b]) => `${a}-${b}`));
      let within = 0;
      for (let a = 0; a < nodes; a++) {
        for (let b = a + 1; b < nodes; b++) {
          if (distance(mesh, a, b) <= radius) {
            within++;
            expect(edgeKeys.has(`${a}-${b}`)).toBe(true);
          }
        }
      }
      const beyond = mesh.edges.filter(([a, b]) => distance(mesh, a, b) > radius).length;
      expect(beyond).toBe(mesh.joins);
      expect(mesh.edges.length).toBe(within + mesh.joins);
    }
  });

  it('joins components nearest pair first, from the component of node 0', () => {
    // Points: 0 (0.1, 0.1) and 1 (0.12, 0.1) within the radius; 3 (0.5, 0.5) and 2 (0.9, 0.9) alone.
    const random = playback([0.1, 0.1, 0.12, 0.1, 0.9, 0.9, 0.5, 0.5]);
    const mesh = geometricMesh(4, 0.01, random);
    expect(mesh.edges).toEqual([
      [0, 1],
      [1, 3],
      [2, 3],
    ]);
    expect(mesh.joins).toBe(2);
  });

  it('adds no join when the radius already links every node', () => {
    const mesh = geometricMesh(40, 30, seededRandom(4));
    expect(mesh.joins).toBe(0);
    expect(reachable(mesh)).toBe(40);
  });

  it('comes near the mean degree asked for at N = 1000', () => {
    for (const [degree, seed] of [
      [4, 1],
      [8, 2],
      [12, 3],
    ] as const) {
      const mesh = geometricMesh(1_000, degree, seededRandom(seed));
      const mean = (2 * mesh.edges.length) / 1_000;
      // The square's border takes a few per cent off (fewer neighbours near the edge).
      expect(mean).toBeGreaterThan(degree * 0.85);
      expect(mean).toBeLessThan(degree * 1.1);
    }
  });

  it('refuses fewer than 2 nodes or a count that is not an integer', () => {
    for (const nodes of [1, 0, -3, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => geometricMesh(nodes, 0.5, seededRandom(1))).toThrow(RangeError);
    }
  });

  it('refuses a mean degree that is not above 0 and below the node count', () => {
    for (const degree of [0, -1, 10, 11, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => geometricMesh(10, degree, seededRandom(1))).toThrow(RangeError);
    }
    expect(() => geometricMesh(10, 9.5, seededRandom(1))).not.toThrow();
  });
});
