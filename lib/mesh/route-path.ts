/**
 * Following a destination's route hop by hop across nodes' tables, as a message would: the oracle
 * the deterministic simulation checks every route change with. Pure: the caller says what each
 * node's next hop is.
 */

export type RoutePath =
  /** The path reached the destination. */
  | { kind: 'delivered'; path: string[] }
  /** A node on the path has no route (or is gone): the message would be dropped there, not looped. */
  | { kind: 'dropped'; path: string[] }
  /** The path came back to a node it had passed: `path` ends with the node seen twice. */
  | { kind: 'loop'; path: string[] };

/**
 * The path from `from` towards `destination`, `from` itself first. `nextHopOf` gives a node's next
 * hop (undefined: no route there, or the node is gone).
 */
export function followRoute(from: string, destination: string, nextHopOf: (node: string) => string | undefined): RoutePath {
  const path = [from];
  const seen = new Set(path);
  for (let node = from; node !== destination; ) {
    const hop = nextHopOf(node);
    if (hop === undefined) return { kind: 'dropped', path };
    path.push(hop);
    if (seen.has(hop)) return { kind: 'loop', path };
    seen.add(hop);
    node = hop;
  }
  return { kind: 'delivered', path };
}
