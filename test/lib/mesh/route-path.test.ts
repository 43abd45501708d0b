import { describe, expect, it } from 'vitest';
import { followRoute } from '../../../lib/mesh/route-path.js';

/** A next-hop function from a table; a node missing from it has no route. */
function table(hops: Record<string, string>) {
  const asked: string[] = [];
  const nextHopOf = (node: string): string | undefined => {
    asked.push(node);
    return hops[node];
  };
  return { nextHopOf, asked };
}

describe('followRoute', () => {
  it('follows the next hops to the destination, from itself first', () => {
    const { nextHopOf, asked } = table({ a: 'b', b: 'c', c: 'd' });
    expect(followRoute('a', 'd', nextHopOf)).toEqual({ kind: 'delivered', path: ['a', 'b', 'c', 'd'] });
    expect(asked).toEqual(['a', 'b', 'c']);
  });

  it('delivers a direct hop', () => {
    const { nextHopOf } = table({ a: 'z' });
    expect(followRoute('a', 'z', nextHopOf)).toEqual({ kind: 'delivered', path: ['a', 'z'] });
  });

  it('is delivered at once, asking no table, when from is the destination', () => {
    const { nextHopOf, asked } = table({ a: 'b' });
    expect(followRoute('a', 'a', nextHopOf)).toEqual({ kind: 'delivered', path: ['a'] });
    expect(asked).toEqual([]);
  });

  it('is dropped at the node with no route, the path ending there', () => {
    const { nextHopOf } = table({ a: 'b', b: 'c' });
    expect(followRoute('a', 'z', nextHopOf)).toEqual({ kind: 'dropped', path: ['a', 'b', 'c'] });
  });

  it('is dropped at the start when the first node has no route', () => {
    const { nextHopOf } = table({});
    expect(followRoute('a', 'z', nextHopOf)).toEqual({ kind: 'dropped', path: ['a'] });
  });

  it('finds a loop of 2 nodes, the path ending with the node seen twice', () => {
    const { nextHopOf, asked } = table({ a: 'b', b: 'a' });
    expect(followRoute('a', 'z', nextHopOf)).toEqual({ kind: 'loop', path: ['a', 'b', 'a'] });
    expect(asked).toEqual(['a', 'b']);
  });

  it('finds a loop of 3 nodes', () => {
    const { nextHopOf } = table({ a: 'b', b: 'c', c: 'a' });
    expect(followRoute('a', 'z', nextHopOf)).toEqual({ kind: 'loop', path: ['a', 'b', 'c', 'a'] });
  });

  it('finds a loop further down the path that does not pass the start again', () => {
    const { nextHopOf } = table({ a: 'b', b: 'c', c: 'd', d: 'b' });
    expect(followRoute('a', 'z', nextHopOf)).toEqual({ kind: 'loop', path: ['a', 'b', 'c', 'd', 'b'] });
  });

  it('finds a node whose next hop is itself', () => {
    const { nextHopOf } = table({ a: 'b', b: 'b' });
    expect(followRoute('a', 'z', nextHopOf)).toEqual({ kind: 'loop', path: ['a', 'b', 'b'] });
  });

  it('delivers when the destination is reached even if its own table would loop', () => {
    const { nextHopOf, asked } = table({ a: 'b', b: 'a' });
    expect(followRoute('a', 'b', nextHopOf)).toEqual({ kind: 'delivered', path: ['a', 'b'] });
    expect(asked).toEqual(['a']);
  });
});
