/**
 * `x0tta6bl4 mesh demo`'s links: a ring (each node dials the next), with a chord across from every
 * third node once there are six or more, never a node dialing itself or a pair dialing each other
 * twice, and every node reachable from every other.
 */
import { describe, expect, it } from 'vitest';
import { demoLinks, MAX_DEMO_NODES } from '../../cli/mesh-demo-command.js';

function connected(links: number[][]): boolean {
  const neighbours = links.map(() => new Set<number>());
  links.forEach((dials, index) => dials.forEach((other) => (neighbours[index]!.add(other), neighbours[other]!.add(index))));
  const seen = new Set([0]);
  const queue = [0];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) for (const other of neighbours[next]!) if (!seen.has(other)) (seen.add(other), queue.push(other));
  return seen.size === links.length;
}

describe('mesh demo links', () => {
  it('makes a ring, with chords from six nodes on, each pair linked once', () => {
    expect(demoLinks(2)).toEqual([[1], []]);
    expect(demoLinks(3)).toEqual([[1], [2], [0]]);
    expect(demoLinks(6)).toEqual([[1, 3], [2], [3], [4], [5], [0]]);
    for (let nodes = 2; nodes <= MAX_DEMO_NODES; nodes++) {
      const links = demoLinks(nodes);
      expect(connected(links)).toBe(true);
      const pairs = links.flatMap((dials, index) => dials.map((other) => [Math.min(index, other), Math.max(index, other)].join('-')));
      expect(new Set(pairs).size).toBe(pairs.length);
      links.forEach((dials, index) => expect(dials).not.toContain(index));
    }
  });
});
