/**
 * Mesh routing between a few nodes wired in memory on a virtual clock: a link coming up exchanges
 * full tables and routes appear, also to nodes two hops away; a link going down withdraws every
 * route through it; each change calls routesChanged; link costs are read again on the
 * COST_INTERVAL_MS timer (a slower link raises the metrics through it; a much slower one moves the
 * route once a repeated seqno request makes the other way feasible);
 * refusals are counted by reason (bytes that are no routing message, a route to another node at
 * metric 0, a destination not admitted); a message from a node that is no neighbour is ignored
 * uncounted; stop() clears the timer.
 */
import { describe, expect, it } from 'vitest';
import { COST_DAMPING, COST_INTERVAL_MS, MeshRouting, ROUTE_TOPIC } from '../../../actors/peer-link/mesh-routing.js';
import { HOP_COST, linkCost, type LinkQuality } from '../../../lib/mesh/link-cost.js';
import { decodeRouteMessage, encodeRouteMessage } from '../../../lib/mesh/route-message.js';
import { INFINITE_METRIC, MAX_SEQNO_JUMP, REQUEST_REPEAT_MS, SOURCE_GC_MS } from '../../../lib/mesh/route-table.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';
const D = 'spiffe://mesh.test/node/d';
const OUTSIDER = 'spiffe://mesh.test/node/outsider';

interface RoutingNode {
  routing: MeshRouting;
  /** What this node's link to each neighbour measures; a hop at round trip 0 unless set. */
  quality: Map<string, LinkQuality>;
  routesChanged: number;
  links: Set<string>;
  /** Neighbours whose link refuses what this node sends (its window full), as the peer links' enqueue returns false. */
  refusing: Set<string>;
  /** The members this node holds a verified record of (every node of the mesh unless a test removes one). */
  members: Set<string>;
}

/** Nodes wired in memory: what one sends to a neighbour waits in a queue until `deliver()`. */
function mesh(ids: string[]) {
  const clock = new VirtualClock();
  const queue: Array<{ from: string; to: string; bytes: Buffer }> = [];
  const nodes = new Map<string, RoutingNode>();
  for (const id of ids) {
    const node: RoutingNode = { routing: undefined as unknown as MeshRouting, quality: new Map(), routesChanged: 0, links: new Set(), refusing: new Set(), members: new Set(ids) };
    node.routing = new MeshRouting({
      clock,
      admits: (spiffeId) => spiffeId !== OUTSIDER,
      isMember: (spiffeId) => node.members.has(spiffeId),
      send: (neighbour, topic, bytes) => {
        expect(topic).toBe(ROUTE_TOPIC);
        if (node.refusing.has(neighbour)) return false;
        queue.push({ from: id, to: neighbour, bytes });
        return true;
      },
      quality: (neighbour) => node.quality.get(neighbour) ?? { rttMs: 0, phi: 0 },
      routesChanged: () => node.routesChanged++,
      changed: () => undefined,
      log: () => undefined,
    });
    node.routing.start(id);
    nodes.set(id, node);
  }
  const node = (id: string) => nodes.get(id)!;
  const deliver = () => {
    for (let packet = queue.shift(); packet; packet = queue.shift()) node(packet.to).routing.receive(packet.from, packet.bytes);
  };
  /** Both ends of each link learn of it, as peer links report a link up on both sides. */
  const link = (...pairs: Array<[string, string]>) => {
    for (const [x, y] of pairs) {
      node(x).links.add(y);
      node(y).links.add(x);
    }
    for (const [id, each] of nodes) each.routing.linksChanged(new Set(node(id).links));
    deliver();
  };
  const unlink = (x: string, y: string) => {
    node(x).links.delete(y);
    node(y).links.delete(x);
    node(x).routing.linksChanged(new Set(node(x).links));
    node(y).routing.linksChanged(new Set(node(y).links));
    deliver();
  };
  const route = (at: string, destination: string) => {
    const found = node(at).routing.state().routes.find((each) => each.destination === destination);
    return found && { nextHop: found.nextHop, metric: found.metric };
  };
  return { clock, queue, node, deliver, link, unlink, route };
}

describe('mesh routing', () => {
  it('learns a route to each neighbour and through it to the nodes beyond, and calls routesChanged', () => {
    const { node, link, route } = mesh([A, B, C]);
    link([A, B], [B, C]);
    expect(route(A, B)).toEqual({ nextHop: B, metric: HOP_COST });
    expect(route(A, C)).toEqual({ nextHop: B, metric: 2 * HOP_COST });
    expect(route(C, A)).toEqual({ nextHop: B, metric: 2 * HOP_COST });
    expect(node(A).routing.nextHop(C)).toBe(B);
    expect(node(A).routing.nextHop(D)).toBeUndefined();
    expect(node(A).routesChanged).toBeGreaterThan(0);
    expect(node(A).routing.state().received).toBeGreaterThan(0);
    expect(node(A).routing.state().refused).toEqual({});
  });

  it('withdraws every route through a link that went down, at once and on the far side too, and calls routesChanged', () => {
    const { node, link, unlink, route } = mesh([A, B, C]);
    link([A, B], [B, C]);
    const before = node(A).routesChanged;
    unlink(B, C);
    expect(route(B, C)).toBeUndefined();
    expect(route(A, C)).toBeUndefined();
    expect(route(A, B)).toEqual({ nextHop: B, metric: HOP_COST });
    expect(node(A).routesChanged).toBeGreaterThan(before);
    expect(node(A).routing.nextHop(C)).toBeUndefined();
  });

  it('takes the other way round when a link on the path goes down', () => {
    const { link, unlink, route } = mesh([A, B, C, D]);
    // A square: A-B-C and A-D-C, equal in cost; ties go to the lower ID.
    link([A, B], [B, C], [A, D], [D, C]);
    expect(route(A, C)).toEqual({ nextHop: B, metric: 2 * HOP_COST });
    unlink(A, B);
    expect(route(A, C)).toEqual({ nextHop: D, metric: 2 * HOP_COST });
  });

  it('reads link costs again every COST_INTERVAL_MS, not in between, and carries a slower link into the metrics beyond it', () => {
    const { clock, node, deliver, link, route } = mesh([A, B, C]);
    link([A, B], [B, C]);
    // 70 ms: the link A-B now costs two hops.
    node(A).quality.set(B, { rttMs: 70, phi: 0 });
    clock.advance(COST_INTERVAL_MS - 1);
    deliver();
    expect(route(A, B)).toEqual({ nextHop: B, metric: HOP_COST });
    const before = node(A).routesChanged;
    clock.advance(1);
    deliver();
    expect(route(A, B)).toEqual({ nextHop: B, metric: 2 * HOP_COST });
    expect(route(A, C)).toEqual({ nextHop: B, metric: 3 * HOP_COST });
    expect(node(A).routesChanged).toBeGreaterThan(before);
    // Only A measures its side of the link: B's metric to A stays a hop.
    expect(route(B, A)).toEqual({ nextHop: A, metric: HOP_COST });
  });

  it('leaves a link cost alone when a reading moves it less than COST_DAMPING: round-trip jitter changes no metric', () => {
    const { clock, node, deliver, link, route } = mesh([A, B, C]);
    node(A).quality.set(B, { rttMs: 4, phi: 0 });
    link([A, B], [B, C]);
    clock.advance(COST_INTERVAL_MS);
    deliver();
    const metric = route(A, C)!.metric;
    // 4 to 6 ms tips the quantised cost one step (8) up: less than the damping.
    node(A).quality.set(B, { rttMs: 6, phi: 0 });
    expect(linkCost({ rttMs: 6, phi: 0 }) - linkCost({ rttMs: 4, phi: 0 })).toBeGreaterThan(0);
    expect(linkCost({ rttMs: 6, phi: 0 }) - linkCost({ rttMs: 4, phi: 0 })).toBeLessThan(COST_DAMPING);
    clock.advance(5 * COST_INTERVAL_MS);
    deliver();
    expect(route(A, C)!.metric).toBe(metric);
    // A late peer moves it by far more: taken at the next reading.
    node(A).quality.set(B, { rttMs: 6, phi: 2 });
    clock.advance(COST_INTERVAL_MS);
    deliver();
    expect(route(A, C)!.metric).toBe(metric + linkCost({ rttMs: 6, phi: 2 }) - linkCost({ rttMs: 4, phi: 0 }));
  });

  it("reads a link's cost at its first round trip, not at the next reading", () => {
    const { node, deliver, link, route } = mesh([A, B, C]);
    node(A).quality.set(B, {});
    link([A, B], [B, C]);
    expect(route(A, C)).toEqual({ nextHop: B, metric: 2 * HOP_COST });
    node(A).quality.set(B, { rttMs: 70, phi: 0 });
    node(A).routing.linkMeasured(B);
    deliver();
    expect(route(A, C)).toEqual({ nextHop: B, metric: 3 * HOP_COST });
  });

  it('takes a retraction of a route to a member it no longer holds alive at once, never parked: no route is left through the neighbour that retracted it', () => {
    const { node, deliver, link, unlink, route } = mesh([A, B, C]);
    link([A, B], [B, C]);
    expect(route(A, C)).toEqual({ nextHop: B, metric: 2 * HOP_COST });
    // A learned that C is dead (its membership) before the retraction reaches it.
    node(A).members.delete(C);
    unlink(B, C);
    deliver();
    expect(route(B, C)).toBeUndefined();
    expect(route(A, C)).toBeUndefined();
  });

  it('moves a route off a link that became much slower, once a seqno request makes the other way feasible', () => {
    const { clock, node, deliver, link, route } = mesh([A, B, C]);
    link([A, B], [B, C], [A, C]);
    expect(route(A, C)).toEqual({ nextHop: C, metric: HOP_COST });
    // The direct link to C turns late and slow: 96 + 192 + 192 = 480, against 96 + 96 through B.
    node(A).quality.set(C, { rttMs: 630, phi: 3 });
    clock.advance(COST_INTERVAL_MS);
    deliver();
    // B's route to C is no better than what A advertised (metric 96 at the same seqno): not feasible yet.
    expect(route(A, C)).toEqual({ nextHop: C, metric: 480 });
    const before = node(A).routesChanged;
    for (let elapsed = 0; elapsed < REQUEST_REPEAT_MS + 2 * COST_INTERVAL_MS && route(A, C)?.nextHop === C; elapsed += COST_INTERVAL_MS) {
      clock.advance(COST_INTERVAL_MS);
      deliver();
    }
    expect(route(A, C)).toEqual({ nextHop: B, metric: 2 * HOP_COST });
    expect(node(A).routesChanged).toBeGreaterThan(before);
  });

  it('counts bytes that are no routing message as malformed, and a route to another node at metric 0 as own-prefix', () => {
    const { node, link, route } = mesh([A, B]);
    link([A, B]);
    node(A).members.add(C);
    const a = node(A).routing;
    const received = a.state().received;
    a.receive(B, Buffer.from('not a routing message'));
    a.receive(B, encodeRouteMessage({ updates: [{ destination: C, seqno: 1, metric: 0 }], requests: [] }));
    a.receive(B, encodeRouteMessage({ updates: [{ destination: OUTSIDER, seqno: 1, metric: 10 }], requests: [] }));
    expect(a.state().refused).toEqual({ malformed: 1, 'own-prefix': 1, 'not-admitted': 1 });
    expect(a.state().received).toBe(received + 3);
    expect(route(A, C)).toBeUndefined();
    expect(route(A, OUTSIDER)).toBeUndefined();
    // A route to C at a finite metric from B is taken: the refusal was the metric 0.
    a.receive(B, encodeRouteMessage({ updates: [{ destination: C, seqno: 1, metric: 10 }], requests: [] }));
    expect(route(A, C)).toEqual({ nextHop: B, metric: 10 + HOP_COST });
  });

  it('ignores a routing message from a node that is no neighbour, uncounted', () => {
    const { node, link, route } = mesh([A, B]);
    link([A, B]);
    const a = node(A).routing;
    const received = a.state().received;
    a.receive(D, encodeRouteMessage({ updates: [{ destination: D, seqno: 1, metric: 0 }], requests: [] }));
    a.receive(D, Buffer.from('garbage'));
    expect(a.state().received).toBe(received);
    expect(a.state().refused).toEqual({});
    expect(route(A, D)).toBeUndefined();
    // From the neighbour B the same route is taken (D a member A knows).
    node(A).members.add(D);
    a.receive(B, encodeRouteMessage({ updates: [{ destination: D, seqno: 1, metric: 5 }], requests: [] }));
    expect(route(A, D)?.nextHop).toBe(B);
  });

  it('clears its cost timer on stop and takes nothing after it', () => {
    const { clock, node, deliver, link, route } = mesh([A, B]);
    link([A, B]);
    // Each node's cost timer.
    expect(clock.pendingTimers()).toBe(2);
    node(A).routing.stop();
    expect(clock.pendingTimers()).toBe(1);
    node(A).quality.set(B, { rttMs: 70 });
    clock.advance(10 * COST_INTERVAL_MS);
    deliver();
    expect(route(A, B)?.metric).toBe(HOP_COST);
    node(A).routing.receive(B, Buffer.from('garbage'));
    expect(node(A).routing.state().refused).toEqual({});
    // The other node's timer keeps running.
    expect(clock.pendingTimers()).toBe(1);
  });

  it('parks a route to a destination it holds no member record of, uncounted, and takes it once the record is verified', () => {
    const { node, link, route } = mesh([A, B, C]);
    node(A).members.delete(C);
    link([A, B], [B, C]);
    expect(route(A, C)).toBeUndefined();
    expect(node(A).routing.state().refused).toEqual({});
    node(A).members.add(C);
    node(A).routing.memberKnown(C);
    expect(route(A, C)).toEqual({ nextHop: B, metric: 2 * HOP_COST });
  });

  it('sends the whole table again, at the next cost reading, to a neighbour whose link refused an update, and nothing periodic to the others', () => {
    const { clock, queue, node, deliver, link, unlink, route } = mesh([A, B, C, D]);
    link([A, B], [B, C], [C, D]);
    expect(route(A, D)).toEqual({ nextHop: B, metric: 3 * HOP_COST });
    // B's window to A is full: the retraction of D (C-D goes down) does not reach A.
    node(B).refusing.add(A);
    unlink(C, D);
    expect(route(A, D), 'stale: the retraction was refused').toEqual({ nextHop: B, metric: 3 * HOP_COST });
    node(B).refusing.delete(A);
    clock.advance(COST_INTERVAL_MS);
    expect(queue.filter((packet) => packet.from === B && packet.to === A).length).toBe(1);
    deliver();
    expect(route(A, D)).toBeUndefined();
    expect(route(A, C)).toEqual({ nextHop: B, metric: 2 * HOP_COST });
    // Once repaired, and with nothing refused, quiet links carry nothing, however long.
    clock.advance(10 * 60_000);
    expect(queue.filter((packet) => packet.from !== D && packet.to !== D)).toEqual([]);
  });

  it('keeps a withdrawn destination for the resync while a neighbour is owed one, however long its window refuses', () => {
    const { clock, node, deliver, link, unlink, route } = mesh([A, B, C, D]);
    link([A, B], [B, C], [C, D]);
    node(B).refusing.add(A);
    unlink(C, D);
    // Longer than a destination without a route is kept (route-table.ts's SOURCE_GC_MS), every resync refused.
    clock.advance(SOURCE_GC_MS + 10 * COST_INTERVAL_MS);
    deliver();
    expect(route(A, D), 'stale while refused').toEqual({ nextHop: B, metric: 3 * HOP_COST });
    node(B).refusing.delete(A);
    clock.advance(COST_INTERVAL_MS);
    deliver();
    expect(route(A, D)).toBeUndefined();
  });

  it('resyncs a neighbour on demand (a restarted peer whose new link came up while the old one counted): the table with its retractions', () => {
    const { queue, node, deliver, link, unlink } = mesh([A, B, C, D]);
    link([A, B], [B, C], [C, D]);
    unlink(C, D);
    queue.length = 0;
    node(B).routing.resync(A);
    const sent = queue.filter((packet) => packet.from === B && packet.to === A).flatMap((packet) => decodeRouteMessage(packet.bytes).updates);
    expect(sent.map((entry) => [entry.destination, entry.metric === INFINITE_METRIC ? 'retracted' : 'route'])).toEqual([
      [B, 'route'],
      [A, 'route'],
      [C, 'route'],
      [D, 'retracted'],
    ]);
    deliver();
    node(B).routing.resync(OUTSIDER);
    expect(queue, 'not a neighbour: nothing').toEqual([]);
  });

  it('refuses a route whose seqno is further ahead than any honest origin can be, and a request for such a seqno', () => {
    const { clock, node, link, route } = mesh([A, B, C]);
    link([A, B], [B, C]);
    const ceiling = Math.floor(clock.now() / 1000) + MAX_SEQNO_JUMP;
    node(A).routing.receive(B, encodeRouteMessage({ updates: [{ destination: C, seqno: ceiling + 1, metric: 1 }], requests: [{ destination: A, seqno: ceiling + 1, hopCount: 2 }] }));
    expect(node(A).routing.state().refused).toEqual({ 'seqno-too-far': 2 });
    expect(route(A, C)).toEqual({ nextHop: B, metric: 2 * HOP_COST });
    expect(node(A).routing.state().seqno).toBeLessThanOrEqual(ceiling);
  });
});
