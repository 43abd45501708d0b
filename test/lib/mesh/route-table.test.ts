/**
 * The routing table, rule by rule: feasibility and how the FD moves, hysteresis, what is advertised
 * and when, a neighbour going down, starvation and the seqno requests that end it (requestNow asking
 * at once among them), every way a request is handled, every refusal, the full table and the count
 * of route changes. Then the property that feasibility buys: seeded simulations of tens of tables on
 * random meshes with FIFO links delivered in random interleavings, links failing, recovering and
 * changing cost, where no destination's next-hop graph ever holds a cycle after any single delivery,
 * and at quiescence every node routes to exactly its component, each metric within the hysteresis of
 * the shortest path. The same simulation with a naive distance vector (no feasibility) finds a loop:
 * the check can fail.
 */
import { describe, expect, it } from 'vitest';
import { neighboursOf, randomMesh } from '../../../lib/mesh/random-mesh.js';
import { decodeRouteMessage, encodeRouteMessage } from '../../../lib/mesh/route-message.js';
import {
  FORWARDED_REQUEST_MEMORY_MS,
  INFINITE_METRIC,
  MAX_SEQNO_JUMP,
  REQUEST_HOP_COUNT,
  REQUEST_REPEAT_MS,
  RouteTable,
  SOURCE_GC_MS,
  findRoutingLoop,
  type RouteEntry,
  type RouteTableOptions,
  type RoutingOutput,
  type SeqnoRequest,
  type SelectedRoute,
} from '../../../lib/mesh/route-table.js';
import { seededRandom } from '../../../lib/timing/seeded-random.js';

const node = (name: string) => `spiffe://mesh.test/node/${name}`;
const [A, B, C, D, E] = ['a', 'b', 'c', 'd', 'e'].map(node) as [string, string, string, string, string];
const SEQ = 1_764_500_000;

function table(options: Partial<RouteTableOptions> = {}): RouteTable {
  return new RouteTable({ self: A, initialSeqno: SEQ, admits: () => true, ...options });
}

/** A's table with neighbours up at the given costs. */
function linked(costs: Record<string, number>, options: Partial<RouteTableOptions> = {}): RouteTable {
  const routes = table(options);
  for (const [neighbour, cost] of Object.entries(costs)) routes.neighbourUp(neighbour, cost);
  return routes;
}

const entry = (destination: string, seqno: number, metric: number): RouteEntry => ({ destination, seqno, metric });
const request = (destination: string, seqno: number, hopCount = REQUEST_HOP_COUNT): SeqnoRequest => ({ destination, seqno, hopCount });

describe('route table: feasibility', () => {
  it('accepts an update with no FD, a newer seqno, or the same seqno and a smaller metric; a retraction always', () => {
    const routes = linked({ [B]: 1, [C]: 1 }, { hysteresis: 0 });
    routes.receiveUpdates(B, [entry(D, 5, 10)]);
    expect(routes.route(D)).toEqual({ destination: D, nextHop: B, metric: 11, seqno: 5 });
    expect(routes.feasibilityDistance(D)).toBeUndefined();
    routes.takeOutput();
    expect(routes.feasibilityDistance(D)).toEqual({ seqno: 5, metric: 11 });

    routes.receiveUpdates(C, [entry(D, 5, 11)]);
    routes.receiveUpdates(B, [entry(D, 5, INFINITE_METRIC)]);
    expect(routes.route(D), 'the same seqno at the FD metric is unfeasible').toBeUndefined();
    routes.receiveUpdates(C, [entry(D, 5, 10)]);
    expect(routes.route(D)).toEqual({ destination: D, nextHop: C, metric: 11, seqno: 5 });
    routes.takeOutput();
    routes.receiveUpdates(B, [entry(D, 6, 500)]);
    routes.receiveUpdates(C, [entry(D, 5, INFINITE_METRIC)]);
    expect(routes.route(D), 'a newer seqno is feasible at any metric').toEqual({ destination: D, nextHop: B, metric: 501, seqno: 6 });
  });

  it('moves the FD only with what is advertised: a lower metric or a newer seqno, never a higher metric at the same seqno', () => {
    const routes = linked({ [B]: 1 }, { hysteresis: 0 });
    const fdAfter = (update: RouteEntry) => {
      routes.receiveUpdates(B, [update]);
      routes.takeOutput();
      return routes.feasibilityDistance(D);
    };
    expect(fdAfter(entry(D, 5, 10))).toEqual({ seqno: 5, metric: 11 });
    expect(fdAfter(entry(D, 6, 40))).toEqual({ seqno: 6, metric: 41 });
    routes.receiveUpdates(B, [entry(D, 6, 4)]);
    expect(routes.feasibilityDistance(D), 'not before it is sent').toEqual({ seqno: 6, metric: 41 });
    routes.takeOutput();
    expect(routes.feasibilityDistance(D)).toEqual({ seqno: 6, metric: 5 });
    routes.neighbourCost(B, 30);
    expect(routes.takeOutput().updates).toEqual([entry(D, 6, 34)]);
    expect(routes.feasibilityDistance(D)).toEqual({ seqno: 6, metric: 5 });
  });

  it('treats an unfeasible update from the selected neighbour as a retraction, and asks that neighbour for a newer seqno', () => {
    const routes = linked({ [B]: 1, [C]: 1 });
    routes.receiveUpdates(B, [entry(D, 3, 10)]);
    routes.takeOutput();
    routes.receiveUpdates(B, [entry(D, 3, 11)]);
    expect(routes.route(D)).toBeUndefined();
    expect(routes.takeOutput()).toEqual({ updates: [entry(D, 3, INFINITE_METRIC)], requests: [{ to: B, request: request(D, 4) }] });

    routes.receiveUpdates(B, [entry(D, 4, 10)]);
    routes.receiveUpdates(C, [entry(D, 4, 8)]);
    expect(routes.nextHop(D), 'better by 2 only').toBe(B);
    routes.takeOutput();
    routes.receiveUpdates(B, [entry(D, 4, 40)]);
    expect(routes.route(D), 'a feasible alternative takes over').toEqual({ destination: D, nextHop: C, metric: 9, seqno: 4 });
    expect(routes.takeOutput()).toEqual({ updates: [entry(D, 4, 9)], requests: [{ to: B, request: request(D, 5) }] });
  });

  it('asks for a newer seqno when an unfeasible route would beat the selected one by more than the hysteresis, and takes it once it comes', () => {
    const routes = linked({ [B]: 1, [C]: 1 });
    routes.receiveUpdates(B, [entry(D, 3, 10)]);
    routes.takeOutput();
    routes.neighbourCost(B, 100);
    routes.receiveUpdates(C, [entry(D, 3, 95)]);
    expect(routes.takeOutput(), 'not worth it: 96 against 110').toEqual({ updates: [entry(D, 3, 110)], requests: [] });
    routes.receiveUpdates(C, [entry(D, 3, 20)]);
    expect(routes.route(D)?.nextHop).toBe(B);
    expect(routes.takeOutput()).toEqual({ updates: [], requests: [{ to: C, request: request(D, 4) }] });
    routes.receiveUpdates(C, [entry(D, 4, 20)]);
    expect(routes.route(D)).toEqual({ destination: D, nextHop: C, metric: 21, seqno: 4 });
  });
});

describe('route table: selection and advertisement', () => {
  it('keeps the selected route unless a candidate beats it by more than the hysteresis, max(16, metric / 8) by default', () => {
    const routes = linked({ [B]: 1, [C]: 1 });
    expect([0, 128, 135, 136, 8_000].map((metric) => routes.hysteresisOf(metric))).toEqual([16, 16, 16, 17, 1_000]);
    routes.receiveUpdates(B, [entry(D, 1, 99)]);
    routes.receiveUpdates(C, [entry(D, 1, 90)]);
    expect(routes.nextHop(D)).toBe(B);
    routes.receiveUpdates(C, [entry(D, 1, 83)]);
    expect(routes.nextHop(D), 'better by exactly 16').toBe(B);
    routes.receiveUpdates(C, [entry(D, 1, 82)]);
    expect(routes.nextHop(D)).toBe(C);

    routes.receiveUpdates(B, [entry(E, 1, 1_000)]);
    routes.receiveUpdates(C, [entry(E, 1, 876)]);
    expect(routes.nextHop(E), 'better by 124 of 1,001').toBe(B);
    routes.receiveUpdates(C, [entry(E, 1, 874)]);
    expect(routes.nextHop(E)).toBe(C);
  });

  it('takes a fixed hysteresis when given one, and the least metric with none', () => {
    const fixed = linked({ [B]: 1, [C]: 1 }, { hysteresis: 50 });
    fixed.receiveUpdates(B, [entry(D, 1, 1_000)]);
    fixed.receiveUpdates(C, [entry(D, 1, 950)]);
    expect(fixed.nextHop(D)).toBe(B);
    fixed.receiveUpdates(C, [entry(D, 1, 949)]);
    expect(fixed.nextHop(D)).toBe(C);
    const none = linked({ [B]: 1, [C]: 1 }, { hysteresis: 0 });
    none.receiveUpdates(B, [entry(D, 1, 10)]);
    none.receiveUpdates(C, [entry(D, 1, 10)]);
    expect(none.nextHop(D), 'a tie keeps the selected route').toBe(B);
    none.receiveUpdates(C, [entry(D, 1, 9)]);
    expect(none.nextHop(D)).toBe(C);
  });

  it('advertises every metric rise, a fall only beyond the hysteresis, and every next-hop change; a newer seqno alone is not passed on', () => {
    const routes = linked({ [B]: 1, [C]: 1 });
    const sent = (from: string, update: RouteEntry) => {
      routes.receiveUpdates(from, [update]);
      return routes.takeOutput().updates;
    };
    const costed = (cost: number) => {
      routes.neighbourCost(B, cost);
      return routes.takeOutput().updates;
    };
    expect(sent(B, entry(D, 1, 99))).toEqual([entry(D, 1, 100)]);
    expect(costed(2), 'a rise of 1').toEqual([entry(D, 1, 101)]);
    expect(sent(B, entry(D, 1, 89)), 'a fall of 10').toEqual([]);
    expect(costed(6), 'a rise still under what was sent').toEqual([]);
    expect(sent(B, entry(D, 1, 79)), 'a fall of 16 from what was sent').toEqual([]);
    expect(sent(B, entry(D, 1, 78)), 'a fall of 17').toEqual([entry(D, 1, 84)]);
    expect(sent(B, entry(D, 2, 78)), 'a newer seqno, nothing asked for it').toEqual([]);
    expect(routes.route(D)).toEqual({ destination: D, nextHop: B, metric: 84, seqno: 2 });
    expect(sent(C, entry(D, 2, 70)), 'C is better by 13 only').toEqual([]);
    expect(sent(B, entry(D, 2, INFINITE_METRIC)), 'the next hop moves to C').toEqual([entry(D, 2, 71)]);
  });

  it('passes a newer seqno on when it answers a request this node forwarded, and answers a request its route already satisfies at once', () => {
    const routes = linked({ [B]: 1, [C]: 1 });
    routes.receiveUpdates(B, [entry(D, 1, 10)]);
    expect(routes.takeOutput().updates).toEqual([entry(D, 1, 11)]);
    // C starves for D and asks for seqno 2: this node's route has seqno 1, so the request goes on to B.
    expect(routes.receiveRequest(C, request(D, 2), 0)).toEqual({ handled: 'forwarded' });
    expect(routes.takeOutput().requests).toEqual([{ to: B, request: request(D, 2, REQUEST_HOP_COUNT - 1) }]);
    routes.receiveUpdates(B, [entry(D, 2, 10)]);
    expect(routes.takeOutput().updates, 'the answer goes back').toEqual([entry(D, 2, 11)]);
    routes.receiveUpdates(B, [entry(D, 3, 10)]);
    expect(routes.takeOutput().updates, 'a later seqno nothing asked for stays here').toEqual([]);
    // A request the route satisfies already is answered with the route as it stands.
    expect(routes.receiveRequest(C, request(D, 3), 0)).toEqual({ handled: 'advertised' });
    expect(routes.takeOutput()).toEqual({ updates: [entry(D, 3, 11)], requests: [] });
  });

  it('passes newer seqnos on while a forwarded request is outstanding, also one asking beyond any answer, and stops once it is forgotten', () => {
    const routes = linked({ [B]: 1, [C]: 1 });
    routes.receiveUpdates(B, [entry(D, 1, 10)]);
    routes.takeOutput();
    // C asks for a seqno D will not reach soon (within the jump a request may ask): the honest raises still go back.
    expect(routes.receiveRequest(C, request(D, 60_000), 0)).toEqual({ handled: 'forwarded' });
    routes.takeOutput();
    routes.receiveUpdates(B, [entry(D, 2, 10)]);
    expect(routes.takeOutput().updates).toEqual([entry(D, 2, 11)]);
    routes.repeatRequests(FORWARDED_REQUEST_MEMORY_MS - 1);
    routes.receiveUpdates(B, [entry(D, 3, 10)]);
    expect(routes.takeOutput().updates, 'still outstanding').toEqual([entry(D, 3, 11)]);
    // Forgotten with the request (the requester repeats its own).
    routes.repeatRequests(FORWARDED_REQUEST_MEMORY_MS);
    routes.receiveUpdates(B, [entry(D, 4, 10)]);
    expect(routes.takeOutput().updates).toEqual([]);
  });

  it('coalesces: one entry per destination, the latest, and nothing twice', () => {
    const routes = linked({ [B]: 1 }, { hysteresis: 0 });
    routes.receiveUpdates(B, [entry(D, 1, 10), entry(D, 1, 20), entry(E, 1, 5)]);
    routes.receiveUpdates(B, [entry(D, 2, 30)]);
    expect(routes.takeOutput().updates).toEqual([entry(D, 2, 31), entry(E, 1, 6)]);
    expect(routes.takeOutput()).toEqual({ updates: [], requests: [] });
  });

  it('gives a neighbour coming up the full table: itself at metric 0 and each selected route, as they stand', () => {
    const routes = linked({ [B]: 10, [C]: 5 });
    routes.receiveUpdates(B, [entry(B, 7, 0), entry(D, 3, 20)]);
    routes.takeOutput();
    routes.receiveUpdates(B, [entry(D, 3, 12)]);
    expect(routes.takeOutput().updates, 'a fall of 8 is not sent').toEqual([]);
    routes.neighbourUp(E, 3);
    expect(routes.fullTable()).toEqual([entry(A, SEQ, 0), entry(B, 7, 10), entry(D, 3, 22)]);
    expect(routes.feasibilityDistance(D)).toEqual({ seqno: 3, metric: 22 });
    expect(routes.takeOutput().updates, 'the other neighbours get what E got').toEqual([entry(D, 3, 22)]);
    expect(routes.routes()).toEqual([
      { destination: B, nextHop: B, metric: 10, seqno: 7 },
      { destination: D, nextHop: B, metric: 22, seqno: 3 },
    ]);
  });

  it('resyncs a neighbour that missed updates: the full table and a retraction of each destination it has no route to', () => {
    const routes = linked({ [B]: 10, [C]: 5 });
    routes.receiveUpdates(B, [entry(B, 7, 0), entry(D, 3, 20), entry(E, 4, 30)]);
    routes.takeOutput();
    routes.receiveUpdates(B, [entry(E, 4, INFINITE_METRIC)]);
    expect(routes.takeOutput().updates).toEqual([entry(E, 4, INFINITE_METRIC)]);
    expect(routes.resyncTable()).toEqual([entry(A, SEQ, 0), entry(B, 7, 10), entry(D, 3, 30), entry(E, 4, INFINITE_METRIC)]);
    // What it holds is what the others hold: nothing more to send them.
    expect(routes.takeOutput().updates).toEqual([]);
  });

  it('counts route changes: appearances, next-hop changes and withdrawals, not metric changes', () => {
    const routes = linked({ [B]: 1, [C]: 1 }, { hysteresis: 0 });
    routes.receiveUpdates(B, [entry(D, 1, 10), entry(E, 1, 10)]);
    expect(routes.routeChanges).toBe(2);
    routes.receiveUpdates(B, [entry(D, 1, 12)]);
    expect(routes.routeChanges).toBe(2);
    routes.receiveUpdates(C, [entry(D, 1, 5)]);
    expect(routes.routeChanges).toBe(3);
    routes.neighbourDown(B);
    expect(routes.routeChanges, 'E withdrawn').toBe(4);
    expect(routes.nextHop(E)).toBeUndefined();
  });
});

describe('route table: neighbours going down and starvation', () => {
  it('drops every route learned from a neighbour at once, retracts them at their FD seqno, and asks those holding unfeasible routes for a newer seqno', () => {
    const routes = linked({ [B]: 1, [C]: 1 });
    routes.receiveUpdates(B, [entry(D, 3, 10), entry(E, 4, 10)]);
    routes.receiveUpdates(C, [entry(D, 3, 20)]);
    routes.takeOutput();
    routes.neighbourDown(B);
    expect(routes.routes()).toEqual([]);
    expect(routes.takeOutput()).toEqual({
      updates: [entry(D, 3, INFINITE_METRIC), entry(E, 4, INFINITE_METRIC)],
      requests: [{ to: C, request: request(D, 4) }],
    });
    routes.neighbourDown(B);
    expect(routes.takeOutput(), 'a second down changes nothing').toEqual({ updates: [], requests: [] });
  });

  it('falls back on a feasible route at once, and sends no request that a neighbour that went down would get', () => {
    const routes = linked({ [B]: 1, [C]: 5 });
    routes.receiveUpdates(B, [entry(D, 3, 10)]);
    routes.receiveUpdates(C, [entry(D, 3, 2)]);
    routes.receiveUpdates(C, [entry(E, 3, 2)]);
    routes.takeOutput();
    routes.neighbourDown(B);
    expect(routes.route(D)).toEqual({ destination: D, nextHop: C, metric: 7, seqno: 3 });
    routes.receiveUpdates(C, [entry(E, 3, 9)]);
    routes.neighbourDown(C);
    expect(routes.takeOutput().requests).toEqual([]);
  });

  it('ignores a batch from a neighbour that is not up, and validates costs and fields', () => {
    const routes = linked({ [B]: 1 });
    expect(routes.receiveUpdates(C, [entry(D, 1, 1)])).toEqual({ refused: [] });
    expect(routes.route(D)).toBeUndefined();
    expect(() => routes.neighbourUp(C, 0)).toThrow(RangeError);
    expect(() => routes.neighbourUp(B, 1)).toThrow(RangeError);
    expect(() => routes.neighbourUp(A, 1)).toThrow(RangeError);
    expect(() => routes.neighbourCost(C, 1)).toThrow(RangeError);
    expect(() => routes.neighbourCost(B, INFINITE_METRIC)).toThrow(RangeError);
    expect(() => routes.receiveUpdates(B, [entry(D, -1, 1)])).toThrow(RangeError);
    expect(() => routes.receiveRequest(B, request(D, 1.5), 0)).toThrow(RangeError);
    expect(() => table({ initialSeqno: 2 ** 32 })).toThrow(RangeError);
    expect(() => table({ maxDestinations: 0 })).toThrow(RangeError);
    expect(() => table({ hysteresis: -1 })).toThrow(RangeError);
  });
});

describe('route table: seqno requests', () => {
  it('raises its own seqno when asked for a newer one and advertises it; an older one is answered with the current', () => {
    const routes = linked({ [B]: 1 });
    expect(routes.receiveRequest(B, request(A, SEQ + 1), 0)).toEqual({ handled: 'raised' });
    expect(routes.seqno).toBe(SEQ + 1);
    expect(routes.takeOutput().updates).toEqual([entry(A, SEQ + 1, 0)]);
    expect(routes.receiveRequest(B, request(A, SEQ), 0)).toEqual({ handled: 'advertised' });
    expect(routes.seqno).toBe(SEQ + 1);
    expect(routes.takeOutput().updates).toEqual([entry(A, SEQ + 1, 0)]);
    routes.bumpSeqno();
    expect(routes.takeOutput().updates).toEqual([entry(A, SEQ + 2, 0)]);
  });

  it(`refuses to raise its seqno more than ${MAX_SEQNO_JUMP} at once ('seqno-too-far'), or past the u32 end`, () => {
    const routes = linked({ [B]: 1 });
    expect(routes.receiveRequest(B, request(A, SEQ + MAX_SEQNO_JUMP + 1), 0)).toEqual({ refused: 'seqno-too-far' });
    expect(routes.seqno).toBe(SEQ);
    expect(routes.takeOutput().updates).toEqual([]);
    expect(routes.receiveRequest(B, request(A, SEQ + MAX_SEQNO_JUMP), 0)).toEqual({ handled: 'raised' });
    const atTheEnd = linked({ [B]: 1 }, { initialSeqno: 2 ** 32 - 1 });
    expect(() => atTheEnd.bumpSeqno()).toThrow(RangeError);
  });

  it('answers with its route when its seqno is at least the one asked for', () => {
    const routes = linked({ [B]: 1, [C]: 1 });
    routes.receiveUpdates(B, [entry(D, 5, 10)]);
    routes.takeOutput();
    expect(routes.receiveRequest(C, request(D, 5), 0)).toEqual({ handled: 'advertised' });
    expect(routes.takeOutput()).toEqual({ updates: [entry(D, 5, 11)], requests: [] });
  });

  it('forwards an older route\'s request to its next hop with one hop less, once within the memory, never back to the asker', () => {
    const routes = linked({ [B]: 1, [C]: 1 });
    routes.receiveUpdates(B, [entry(D, 5, 10)]);
    routes.takeOutput();
    expect(routes.receiveRequest(C, request(D, 6, 10), 1_000)).toEqual({ handled: 'forwarded' });
    expect(routes.takeOutput()).toEqual({ updates: [], requests: [{ to: B, request: request(D, 6, 9) }] });
    expect(routes.receiveRequest(C, request(D, 6, 10), 1_000 + FORWARDED_REQUEST_MEMORY_MS - 1)).toEqual({ handled: 'duplicate' });
    expect(routes.receiveRequest(C, request(D, 7, 10), 1_000 + FORWARDED_REQUEST_MEMORY_MS - 1)).toEqual({ handled: 'forwarded' });
    expect(routes.receiveRequest(C, request(D, 6, 10), 1_000 + FORWARDED_REQUEST_MEMORY_MS)).toEqual({ handled: 'forwarded' });
    expect(routes.receiveRequest(B, request(D, 8, 10), 9_000)).toEqual({ handled: 'unroutable' });
    expect(routes.receiveRequest(B, request(E, 8, 10), 9_000), 'no route at all').toEqual({ handled: 'unroutable' });
    expect(routes.receiveRequest(D, request(E, 8, 10), 9_000)).toEqual({ handled: 'not-a-neighbour' });
  });

  it('forwards a starving node\'s request along its best unfeasible route', () => {
    const routes = linked({ [B]: 1, [C]: 1, [E]: 1 });
    routes.receiveUpdates(B, [entry(D, 5, 10)]);
    routes.takeOutput();
    routes.receiveUpdates(C, [entry(D, 5, 30)]);
    routes.receiveUpdates(E, [entry(D, 5, 20)]);
    routes.neighbourDown(B);
    routes.takeOutput();
    expect(routes.receiveRequest(C, request(D, 6), 0)).toEqual({ handled: 'forwarded' });
    expect(routes.takeOutput().requests).toEqual([{ to: E, request: request(D, 6, REQUEST_HOP_COUNT - 1) }]);
  });

  it('repeats a request every REQUEST_REPEAT_MS while it starves or holds a much better unfeasible route, and stops once answered', () => {
    const routes = linked({ [B]: 1, [C]: 1, [E]: 1 });
    routes.receiveUpdates(B, [entry(D, 5, 10)]);
    routes.receiveUpdates(C, [entry(D, 5, 30)]);
    routes.takeOutput();
    routes.neighbourDown(B);
    expect(routes.takeOutput().requests).toEqual([{ to: C, request: request(D, 6) }]);
    routes.repeatRequests(0);
    expect(routes.takeOutput().requests, 'the first call only starts the period').toEqual([]);
    routes.repeatRequests(REQUEST_REPEAT_MS - 1);
    expect(routes.takeOutput().requests).toEqual([]);
    routes.repeatRequests(REQUEST_REPEAT_MS);
    expect(routes.takeOutput().requests).toEqual([{ to: C, request: request(D, 6) }]);
    routes.receiveUpdates(C, [entry(D, 6, 30)]);
    routes.takeOutput();
    routes.receiveUpdates(E, [entry(D, 5, 20)]);
    routes.repeatRequests(3 * REQUEST_REPEAT_MS);
    expect(routes.takeOutput().requests, 'E is unfeasible but not better by the hysteresis').toEqual([]);
    routes.receiveUpdates(E, [entry(D, 5, 1)]);
    expect(routes.takeOutput().requests).toEqual([{ to: E, request: request(D, 7) }]);
    routes.repeatRequests(4 * REQUEST_REPEAT_MS);
    expect(routes.takeOutput().requests).toEqual([]);
    routes.repeatRequests(5 * REQUEST_REPEAT_MS);
    expect(routes.takeOutput().requests).toEqual([{ to: E, request: request(D, 7) }]);
    routes.receiveUpdates(E, [entry(D, 7, 1)]);
    routes.repeatRequests(7 * REQUEST_REPEAT_MS);
    routes.repeatRequests(8 * REQUEST_REPEAT_MS);
    expect(routes.takeOutput().requests, 'answered').toEqual([]);
    expect(routes.route(D)).toEqual({ destination: D, nextHop: E, metric: 2, seqno: 7 });
  });

  it('asks at once with requestNow, when a neighbour carrying the selected route went down and another holds only an unfeasible one, and returns how many destinations it asked for', () => {
    const routes = linked({ [B]: 1, [C]: 1 });
    routes.receiveUpdates(B, [entry(D, 5, 10), entry(E, 5, 10)]);
    routes.receiveUpdates(C, [entry(D, 5, 30), entry(E, 5, 30)]);
    routes.takeOutput();
    routes.neighbourDown(B);
    // Starving: the request reselect queues when the route goes is sent; requestNow does not wait for a repeat period.
    expect(routes.takeOutput().requests).toHaveLength(2);
    expect(routes.requestNow(1_000)).toBe(2);
    expect(routes.takeOutput()).toEqual({
      updates: [],
      requests: [
        { to: C, request: request(D, 6) },
        { to: C, request: request(E, 6) },
      ],
    });
    expect(routes.requestNow(1_001), 'asked again whenever called').toBe(2);
    expect(routes.takeOutput().requests).toHaveLength(2);
  });

  it('counts destinations, not requests, in what requestNow returns: one destination asked of two neighbours counts once', () => {
    const routes = linked({ [B]: 1, [C]: 1, [E]: 1 });
    routes.receiveUpdates(B, [entry(D, 5, 10)]);
    routes.receiveUpdates(C, [entry(D, 5, 30)]);
    routes.receiveUpdates(E, [entry(D, 5, 40)]);
    routes.takeOutput();
    routes.neighbourDown(B);
    routes.takeOutput();
    expect(routes.requestNow(0)).toBe(1);
    expect(routes.takeOutput().requests).toEqual([
      { to: C, request: request(D, 6) },
      { to: E, request: request(D, 6) },
    ]);
  });

  it('starts the repeat period over when it asks with requestNow', () => {
    const routes = linked({ [B]: 1, [C]: 1 });
    routes.receiveUpdates(B, [entry(D, 5, 10)]);
    routes.receiveUpdates(C, [entry(D, 5, 30)]);
    routes.takeOutput();
    routes.neighbourDown(B);
    routes.repeatRequests(0);
    routes.takeOutput();
    expect(routes.requestNow(3_000)).toBe(1);
    routes.takeOutput();
    // Without requestNow the repeat would have come at REQUEST_REPEAT_MS; it now comes a period after 3,000.
    routes.repeatRequests(REQUEST_REPEAT_MS);
    expect(routes.takeOutput().requests).toEqual([]);
    routes.repeatRequests(3_000 + REQUEST_REPEAT_MS - 1);
    expect(routes.takeOutput().requests).toEqual([]);
    routes.repeatRequests(3_000 + REQUEST_REPEAT_MS);
    expect(routes.takeOutput().requests).toEqual([{ to: C, request: request(D, 6) }]);
  });

  it('asks with requestNow for an unfeasible route much better than the selected one, only that neighbour, and not for one within the hysteresis', () => {
    const routes = linked({ [B]: 1, [C]: 1, [E]: 1 });
    routes.receiveUpdates(B, [entry(D, 3, 10)]);
    routes.takeOutput();
    // The link to B is avoided: the route through it costs 110 now.
    routes.neighbourCost(B, 100);
    routes.receiveUpdates(E, [entry(D, 3, 95)]);
    routes.takeOutput();
    expect(routes.requestNow(0), 'E is unfeasible, 96 against 110: not worth a request').toBe(0);
    routes.receiveUpdates(C, [entry(D, 3, 20)]);
    routes.takeOutput();
    expect(routes.route(D)?.nextHop).toBe(B);
    expect(routes.requestNow(0)).toBe(1);
    expect(routes.takeOutput().requests).toEqual([{ to: C, request: request(D, 4) }]);
  });

  it('returns 0 and asks nothing from requestNow when nothing is worth asking: no routes, only feasible ones, starving with no neighbour left to ask, or answered', () => {
    expect(linked({ [B]: 1 }).requestNow(0), 'an empty table').toBe(0);

    const feasible = linked({ [B]: 1, [C]: 1 });
    feasible.receiveUpdates(B, [entry(D, 5, 10)]);
    feasible.receiveUpdates(C, [entry(D, 5, 9)]);
    feasible.takeOutput();
    // C's route (10 through it) is feasible, and within the hysteresis of B's (11): B's stays selected.
    expect(feasible.route(D)?.nextHop).toBe(B);
    expect(feasible.requestNow(0)).toBe(0);
    expect(feasible.takeOutput()).toEqual({ updates: [], requests: [] });

    const alone = linked({ [B]: 1 });
    alone.receiveUpdates(B, [entry(D, 5, 10)]);
    alone.takeOutput();
    alone.neighbourDown(B);
    alone.takeOutput();
    expect(alone.requestNow(0), 'starving, but no neighbour holds any route').toBe(0);
    expect(alone.takeOutput().requests).toEqual([]);

    const answered = linked({ [B]: 1, [C]: 1 });
    answered.receiveUpdates(B, [entry(D, 5, 10)]);
    answered.receiveUpdates(C, [entry(D, 5, 30)]);
    answered.takeOutput();
    answered.neighbourDown(B);
    answered.receiveUpdates(C, [entry(D, 6, 30)]);
    answered.takeOutput();
    expect(answered.route(D)).toEqual({ destination: D, nextHop: C, metric: 31, seqno: 6 });
    expect(answered.requestNow(0)).toBe(0);
    expect(answered.takeOutput().requests).toEqual([]);
  });

  it("drops a request it would have to forward with fewer than 2 hops ('hop-limit'), and one about a destination it does not admit", () => {
    const routes = linked({ [B]: 1, [C]: 1 }, { admits: (id) => id !== E });
    routes.receiveUpdates(B, [entry(D, 5, 10)]);
    routes.takeOutput();
    expect(routes.receiveRequest(C, request(D, 6, 1), 0)).toEqual({ refused: 'hop-limit' });
    expect(routes.receiveRequest(C, request(D, 5, 1), 0), 'answering needs no hop').toEqual({ handled: 'advertised' });
    expect(routes.receiveRequest(C, request(E, 6), 0)).toEqual({ refused: 'not-admitted' });
    expect(routes.takeOutput().requests).toEqual([]);
  });
});

describe('route table: refusals', () => {
  it('refuses metric 0 from anyone but the destination itself, destinations not admitted, and new ones beyond the cap; applies the rest, ignores entries about itself', () => {
    const routes = linked({ [B]: 1 }, { admits: (id) => id !== C, maxDestinations: 2 });
    const batch = [entry(A, 9, 0), entry(B, 1, 0), entry(D, 1, 0), entry(C, 1, 5), entry(D, 1, 5), entry(E, 1, INFINITE_METRIC), entry(E, 1, 5), entry(D, 1, 6)];
    expect(routes.receiveUpdates(B, batch).refused).toEqual([
      { entry: entry(D, 1, 0), reason: 'own-prefix' },
      { entry: entry(C, 1, 5), reason: 'not-admitted' },
      { entry: entry(E, 1, 5), reason: 'too-many-destinations' },
    ]);
    expect(routes.routes()).toEqual([
      { destination: B, nextHop: B, metric: 1, seqno: 1 },
      { destination: D, nextHop: B, metric: 7, seqno: 1 },
    ]);
    expect(routes.nextHop(A)).toBeUndefined();
    expect(routes.destinationCount).toBe(2);
  });

  it('forgets a destination without any route only after SOURCE_GC_MS, making room under the cap', () => {
    const routes = linked({ [B]: 1 }, { maxDestinations: 1 });
    routes.receiveUpdates(B, [entry(D, 1, 5)]);
    routes.takeOutput();
    routes.receiveUpdates(B, [entry(D, 1, INFINITE_METRIC)]);
    routes.collect(0);
    expect(routes.receiveUpdates(B, [entry(E, 1, 5)]).refused.map(({ reason }) => reason)).toEqual(['too-many-destinations']);
    routes.takeOutput();
    routes.collect(1);
    routes.collect(SOURCE_GC_MS);
    expect(routes.destinationCount, 'first seen without route at 1').toBe(1);
    routes.collect(SOURCE_GC_MS + 1);
    expect(routes.destinationCount).toBe(0);
    expect(routes.receiveUpdates(B, [entry(E, 1, 5)]).refused).toEqual([]);
    routes.collect(SOURCE_GC_MS + 2);
    routes.collect(2 * SOURCE_GC_MS + 2);
    expect(routes.destinationCount, 'a live destination stays').toBe(1);
  });
});

describe('findRoutingLoop', () => {
  it('finds a cycle in a hand-made next-hop graph, and none where every chain ends', () => {
    expect(findRoutingLoop(new Map([[A, B], [B, C], [E, C]]))).toBeUndefined();
    expect(findRoutingLoop(new Map())).toBeUndefined();
    expect(findRoutingLoop(new Map([[A, B], [B, A]]))).toEqual([A, B]);
    expect(findRoutingLoop(new Map([[E, A], [A, B], [B, C], [C, A]]))).toEqual([A, B, C]);
    expect(findRoutingLoop(new Map([[A, B], [B, C], [D, E], [E, D]]))).toEqual([D, E]);
    expect(findRoutingLoop(new Map([[A, A]]))).toEqual([A]);
  });
});

/** What the simulation needs of a router: RouteTable, or the naive one below. */
interface Router {
  neighbourUp(neighbour: string, cost: number): void;
  neighbourCost(neighbour: string, cost: number): void;
  neighbourDown(neighbour: string): void;
  receiveUpdates(neighbour: string, entries: RouteEntry[]): unknown;
  receiveRequest(neighbour: string, request: SeqnoRequest, now: number): unknown;
  repeatRequests(now: number): void;
  takeOutput(): RoutingOutput;
  fullTable(): RouteEntry[];
  nextHop(destination: string): string | undefined;
  route(destination: string): SelectedRoute | undefined;
  hysteresisOf(metric: number): number;
}

/**
 * Textbook distance vector, for the simulation to prove it can catch a loop: the least metric over
 * every neighbour's latest entry, advertised on each change; no feasibility, no seqno.
 */
class NaiveDistanceVector implements Router {
  private readonly costs = new Map<string, number>();
  private readonly heard = new Map<string, Map<string, number>>();
  private readonly selected = new Map<string, SelectedRoute>();
  private readonly changed = new Set<string>();

  constructor(private readonly self: string) {}

  neighbourUp(neighbour: string, cost: number): void {
    this.costs.set(neighbour, cost);
  }

  neighbourCost(neighbour: string, cost: number): void {
    this.costs.set(neighbour, cost);
    for (const destination of this.heard.keys()) this.reselect(destination);
  }

  neighbourDown(neighbour: string): void {
    this.costs.delete(neighbour);
    for (const [destination, heard] of this.heard) if (heard.delete(neighbour)) this.reselect(destination);
  }

  receiveUpdates(neighbour: string, entries: RouteEntry[]): void {
    if (!this.costs.has(neighbour)) return;
    for (const { destination, metric } of entries) {
      if (destination === this.self) continue;
      const heard = this.heard.get(destination) ?? new Map<string, number>();
      this.heard.set(destination, heard);
      if (metric >= INFINITE_METRIC) heard.delete(neighbour);
      else heard.set(neighbour, metric);
      this.reselect(destination);
    }
  }

  receiveRequest(): void {}

  repeatRequests(): void {}

  takeOutput(): RoutingOutput {
    const updates = [...this.changed].map((destination) => entry(destination, 1, this.selected.get(destination)?.metric ?? INFINITE_METRIC));
    this.changed.clear();
    return { updates, requests: [] };
  }

  fullTable(): RouteEntry[] {
    return [entry(this.self, 1, 0), ...[...this.selected.values()].map((route) => entry(route.destination, 1, route.metric))];
  }

  nextHop(destination: string): string | undefined {
    return this.selected.get(destination)?.nextHop;
  }

  route(destination: string): SelectedRoute | undefined {
    return this.selected.get(destination);
  }

  hysteresisOf(): number {
    return 0;
  }

  private reselect(destination: string): void {
    let best: SelectedRoute | undefined;
    for (const [neighbour, metric] of this.heard.get(destination)!) {
      const total = Math.min(metric + this.costs.get(neighbour)!, INFINITE_METRIC);
      if (total < INFINITE_METRIC && (best === undefined || total < best.metric)) best = { destination, nextHop: neighbour, metric: total, seqno: 1 };
    }
    const previous = this.selected.get(destination);
    if (best === undefined) this.selected.delete(destination);
    else this.selected.set(destination, best);
    if (previous?.metric !== best?.metric) this.changed.add(destination);
  }
}

interface SimulationOptions {
  seed: number;
  nodes: number;
  /** Link failures, recoveries and cost changes per round; each round ends in quiescence. */
  events: number;
  rounds: number;
  router(self: string, index: number): Router;
  /** Every metric must be the shortest path's (no hysteresis). */
  exact?: boolean;
}

interface SimulationResult {
  deliveries: number;
  loop?: { destination: string; cycle: string[]; after: number };
  /** Per round, at quiescence, what does not hold (empty when all does). */
  violations: string[];
}

const MAX_COST = 60;
/** Simulated time per delivery: a mesh delivers about one routing message a millisecond. */
const DELIVERY_MS = 1;
/** How often, in simulated time, each node is given the chance to repeat its requests while messages flow. */
const REPEAT_EVERY_MS = 1_000;

function simulate({ seed, nodes, events, rounds, router, exact = false }: SimulationOptions): SimulationResult {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const cost = () => 1 + Math.floor(random() * MAX_COST);
  const ids = Array.from({ length: nodes }, (_, index) => node(`n${index}`));
  const indexOf = new Map(ids.map((id, index) => [id, index]));
  const routers = ids.map((id, index) => router(id, index));
  const edges = randomMesh({ nodes, minDegree: 2, maxDegree: 4, random });
  const linkKey = (from: number, to: number) => `${from}>${to}`;
  const up = new Set<string>();
  const costs = new Map<string, number>();
  const queues = new Map<string, Buffer[]>();
  /** What each node holds from each neighbour, as the messages carried it: `to<from` → destination → entry. */
  const held = new Map<string, Map<string, RouteEntry>>();
  let now = 0;
  let deliveries = 0;
  const result: SimulationResult = { deliveries: 0, violations: [] };

  const neighbours = (index: number) => edges.flatMap(([x, y]) => (x === index && up.has(linkKey(x, y)) ? [y] : y === index && up.has(linkKey(x, y)) ? [x] : []));
  const send = (from: number, to: number, updates: RouteEntry[], requests: SeqnoRequest[]) => {
    if (updates.length > 0 || requests.length > 0) queues.get(linkKey(from, to))!.push(encodeRouteMessage({ updates, requests }));
  };
  const flush = (index: number) => {
    const { updates, requests } = routers[index]!.takeOutput();
    for (const to of neighbours(index)) send(index, to, updates, requests.filter((pending) => pending.to === ids[to]).map((pending) => pending.request));
  };
  const checkLoops = () => {
    for (const destination of ids) {
      const nextHops = new Map<string, string>();
      for (const [index, routes] of routers.entries()) {
        const hop = routes.nextHop(destination);
        if (hop !== undefined) nextHops.set(ids[index]!, hop);
      }
      const cycle = findRoutingLoop(nextHops);
      if (cycle !== undefined) result.loop ??= { destination, cycle, after: deliveries };
    }
  };
  const linkUp = (x: number, y: number) => {
    for (const [from, to] of [[x, y], [y, x]] as const) {
      up.add(linkKey(from, to));
      costs.set(linkKey(from, to), cost());
      queues.set(linkKey(from, to), []);
      held.set(linkKey(to, from), new Map());
      routers[from]!.neighbourUp(ids[to]!, costs.get(linkKey(from, to))!);
    }
    send(x, y, routers[x]!.fullTable(), []);
    send(y, x, routers[y]!.fullTable(), []);
    flush(x);
    flush(y);
  };
  const linkDown = (x: number, y: number) => {
    for (const [from, to] of [[x, y], [y, x]] as const) {
      up.delete(linkKey(from, to));
      queues.delete(linkKey(from, to));
      held.delete(linkKey(to, from));
      routers[from]!.neighbourDown(ids[to]!);
    }
    flush(x);
    flush(y);
    checkLoops();
  };
  const deliver = (key: string) => {
    const [from, to] = key.split('>').map(Number) as [number, number];
    const message = decodeRouteMessage(queues.get(key)!.shift()!);
    const holding = held.get(linkKey(to, from))!;
    for (const update of message.updates) holding.set(update.destination, update);
    routers[to]!.receiveUpdates(ids[from]!, message.updates);
    for (const request of message.requests) routers[to]!.receiveRequest(ids[from]!, request, now);
    now += DELIVERY_MS;
    deliveries++;
    flush(to);
    checkLoops();
    if (now % REPEAT_EVERY_MS === 0) repeatAll();
  };
  const repeatAll = () => {
    for (const [index, routes] of routers.entries()) {
      routes.repeatRequests(now);
      flush(index);
    }
  };
  const busy = () => [...queues].filter(([, queue]) => queue.length > 0).map(([key]) => key);
  const topologyEvent = () => {
    const roll = random();
    const upEdges = edges.filter(([x, y]) => up.has(linkKey(x, y)));
    const downEdges = edges.filter(([x, y]) => !up.has(linkKey(x, y)));
    if (roll < 0.4 && upEdges.length > 0) linkDown(...pick(upEdges));
    else if (roll < 0.7 && downEdges.length > 0) linkUp(...pick(downEdges));
    else if (upEdges.length > 0) {
      const [x, y] = pick(upEdges);
      const [from, to] = random() < 0.5 ? [x, y] : [y, x];
      costs.set(linkKey(from, to), cost());
      routers[from]!.neighbourCost(ids[to]!, costs.get(linkKey(from, to))!);
      flush(from);
      checkLoops();
    }
  };

  // Links come up in a random order, interleaved with deliveries; then each round's events.
  const pendingLinks = [...edges];
  while (pendingLinks.length > 0 || busy().length > 0) {
    const waiting = busy();
    if (pendingLinks.length > 0 && (waiting.length === 0 || random() < 0.1)) linkUp(...pendingLinks.splice(Math.floor(random() * pendingLinks.length), 1)[0]!);
    else deliver(pick(waiting));
    if (result.loop) return { ...result, deliveries };
  }
  for (let round = 0; round < rounds; round++) {
    let left = events;
    for (let waiting = busy(); left > 0 || waiting.length > 0; waiting = busy()) {
      if (left > 0 && (waiting.length === 0 || random() < 0.05)) {
        topologyEvent();
        left--;
      } else deliver(pick(waiting));
      if (result.loop) return { ...result, deliveries };
    }
    // Quiescent once the repeated requests, a repeat period apart, have nothing left to ask.
    for (let quiet = 0, repeats = 0; quiet < 2; repeats++) {
      if (repeats > 20) {
        result.violations.push(`round ${round}: requests still repeated after ${repeats} periods`);
        break;
      }
      now += REQUEST_REPEAT_MS;
      repeatAll();
      quiet = busy().length === 0 ? quiet + 1 : 0;
      for (let waiting = busy(); waiting.length > 0; waiting = busy()) {
        deliver(pick(waiting));
        if (result.loop) return { ...result, deliveries };
      }
    }
    result.violations.push(...quiescenceViolations(round));
  }
  return { ...result, deliveries };

  /** Dijkstra towards `target` over up links; `through(from, to, metric of to)` is from's metric through to, never less than to's. */
  function shortestPaths(target: number, through: (from: number, to: number, metric: number) => number): number[] {
    const distance = new Array<number>(nodes).fill(Infinity);
    distance[target] = 0;
    const done = new Set<number>();
    for (;;) {
      let next = -1;
      for (let index = 0; index < nodes; index++) if (!done.has(index) && distance[index]! < Infinity && (next < 0 || distance[index]! < distance[next]!)) next = index;
      if (next < 0) return distance;
      done.add(next);
      for (const from of neighbours(next)) distance[from] = Math.min(distance[from]!, through(from, next, distance[next]!));
    }
  }

  /**
   * The most a metric may be when every hop keeps within the rules: a neighbour's advertised metric
   * at most its hysteresis above its real one (falls smaller than that are not sent), and the route
   * kept at most the hysteresis above the best offer. Hop by hop, from the shortest paths.
   */
  function boundWithHysteresis(target: number): number[] {
    const hysteresisOf = (metric: number) => routers[target]!.hysteresisOf(metric);
    // The largest m with m − hysteresis(m) ≤ x (that difference never decreases as m grows).
    const widen = (x: number) => {
      let [low, high] = [x, 2 * x + 1_024];
      while (low < high) {
        const middle = Math.ceil((low + high) / 2);
        if (middle - hysteresisOf(middle) <= x) low = middle;
        else high = middle - 1;
      }
      return low;
    };
    return shortestPaths(target, (from, to, metric) => widen((to === target ? 0 : widen(metric)) + costs.get(linkKey(from, to))!));
  }

  function quiescenceViolations(round: number): string[] {
    const found: string[] = [];
    const note = (what: string) => found.length < 10 && found.push(`round ${round}: ${what}`);
    for (const [target, destination] of ids.entries()) {
      // The true shortest paths to the destination, over up links, with each node's own cost of each link.
      const distance = shortestPaths(target, (from, to, metric) => metric + costs.get(linkKey(from, to))!);
      const bound = boundWithHysteresis(target);
      for (const [index, routes] of routers.entries()) {
        if (index === target) continue;
        const route = routes.route(destination);
        const where = `n${index} → n${target}`;
        if (distance[index] === Infinity) {
          if (route !== undefined) note(`${where}: a route out of its component, via ${route.nextHop}`);
          continue;
        }
        if (route === undefined) {
          note(`${where}: no route within its component; fd ${JSON.stringify((routes as RouteTable).feasibilityDistance?.(destination))} own ${(routers[target] as RouteTable).seqno} holds ${neighbours(index).map((n) => `n${n}:${JSON.stringify(held.get(linkKey(index, n))?.get(destination))} nh=${routers[n]!.nextHop(destination)}`).join(' ')}`);
          continue;
        }
        const hop = indexOf.get(route.nextHop)!;
        const heard = held.get(linkKey(index, hop))?.get(destination);
        if (heard === undefined || route.metric !== heard.metric + costs.get(linkKey(index, hop))! || route.seqno !== heard.seqno) note(`${where}: the route does not match what ${route.nextHop} said`);
        if (route.metric < distance[index]!) note(`${where}: metric ${route.metric} below the shortest path ${distance[index]}`);
        if (route.metric > bound[index]!) note(`${where}: metric ${route.metric} beyond ${bound[index]}, the shortest path ${distance[index]} with the hysteresis hop by hop`);
        if (exact && route.metric !== distance[index]) note(`${where}: metric ${route.metric}, the shortest path ${distance[index]}`);
        const hysteresis = routes.hysteresisOf(route.metric);
        for (const neighbour of neighbours(index)) {
          const offer = held.get(linkKey(index, neighbour))?.get(destination);
          if (offer !== undefined && offer.metric < INFINITE_METRIC && offer.metric + costs.get(linkKey(index, neighbour))! < route.metric - hysteresis) {
            note(`${where}: keeps metric ${route.metric} with ${offer.metric + costs.get(linkKey(index, neighbour))!} through n${neighbour}`);
          }
          // What a neighbour holds of this node's route: at or a little above the truth.
          const told = held.get(linkKey(neighbour, index))?.get(destination);
          // Its seqno may be older: a newer one alone is passed on only to answer a request (mustAdvertise).
          if (told === undefined || told.seqno > route.seqno || told.metric < route.metric || told.metric - route.metric > routes.hysteresisOf(told.metric)) {
            note(`${where}: n${neighbour} holds ${JSON.stringify(told)} for metric ${route.metric}`);
          }
        }
      }
    }
    return found;
  }
}

describe('route table: simulated meshes', () => {
  const table = (hysteresis?: number) => (self: string, index: number) => new RouteTable({ self, initialSeqno: 1_000 * (index + 1), admits: () => true, ...(hysteresis === undefined ? {} : { hysteresis }) });

  it.each([1, 2, 3, 4])('never forms a loop, and converges within the hysteresis to every node of the component (seed %i, default hysteresis)', (seed) => {
    const { loop, violations, deliveries } = simulate({ seed, nodes: 40, events: 40, rounds: 3, router: table() });
    expect(loop).toBeUndefined();
    expect(violations).toEqual([]);
    expect(deliveries).toBeGreaterThan(1_000);
  });

  it.each([5, 6])('never forms a loop, and with no hysteresis converges to the shortest paths exactly (seed %i)', (seed) => {
    const { loop, violations } = simulate({ seed, nodes: 30, events: 30, rounds: 3, router: table(0), exact: true });
    expect(loop).toBeUndefined();
    expect(violations).toEqual([]);
  });

  it('catches the loops of a distance vector without the feasibility condition', () => {
    const loops = [1, 2, 3].map((seed) => simulate({ seed, nodes: 40, events: 40, rounds: 3, router: (self) => new NaiveDistanceVector(self) }).loop);
    for (const loop of loops) expect(loop?.cycle.length).toBeGreaterThanOrEqual(2);
  });
});
