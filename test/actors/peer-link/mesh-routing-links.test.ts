/**
 * Routing and end-to-end messages over real peer links (TLS 1.3 on loopback, post-quantum sessions,
 * liboqs): a node reaches a member it holds no link to, through another, sealed for it (the
 * forwarder passes envelopes on and delivers none), and pings it the same way; when a node on the path goes, the routes move
 * to the other way round and every message sent meanwhile arrives once, in order; what a peer can
 * send on the routing and forwarding topics that a correct node never would (a route to another
 * node at metric 0, a hop limit of 0, bytes that are no envelope) is refused and counted, and its
 * link carries on.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FORWARD_TOPIC } from '../../../actors/peer-link/end-to-end.js';
import { ROUTE_TOPIC } from '../../../actors/peer-link/mesh-routing.js';
import type { PeerLinksOptions } from '../../../actors/peer-link/peer-links.js';
import { decodeEnvelope, encodeEnvelope, withHopLimit } from '../../../lib/mesh/mesh-envelope.js';
import { encodeRouteMessage } from '../../../lib/mesh/route-message.js';
import { createTrustDomainCa, type TrustDomainCa } from '../../../lib/spiffe/svid-issuer.js';
import { linkNode, stopLinkNodes, type LinkNode } from '../../helpers/links-node.js';
import { until } from '../../helpers/wait.js';

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';
const D = 'spiffe://mesh.test/node/d';
const HOUR = 3_600_000;
let ca: TrustDomainCa;

beforeAll(async () => {
  ca = await createTrustDomainCa('mesh.test', { notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + 24 * HOUR) });
});

afterEach(async (context) => stopLinkNodes(context.task.result?.state === 'fail'));

const node = (id: string, peers: LinkNode[] = [], options: Partial<PeerLinksOptions> = {}) => linkNode(ca, id, peers, options);

const routeOf = (holder: LinkNode, destination: string) => holder.state().routing.routes.find((route) => route.destination === destination);
const numbers = (holder: LinkNode, from: string) => holder.received.filter((message) => message.from === from).map((message) => (message.payload as { n: number }).n);
const sequence = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('routing and end-to-end messages over peer links', () => {
  it('carries messages to a member two hops away, sealed: the node between forwards them and delivers none', async () => {
    const b = await node(B);
    const a = await node(A, [b]);
    const c = await node(C, [b]);
    await until('routes between A and C through B', () => routeOf(a, C)?.nextHop === B && routeOf(c, A)?.nextHop === B);
    expect(routeOf(a, B)).toMatchObject({ nextHop: B });
    expect(routeOf(a, C)!.metric).toBeGreaterThan(routeOf(a, B)!.metric);

    for (let n = 1; n <= 300; n++) expect(a.links.sendEndToEnd(C, 'test', Buffer.from(JSON.stringify({ n, secret: 'for C alone' })))).toBe(true);
    expect(c.links.sendEndToEnd(A, 'reply', Buffer.from('{"n":1}'))).toBe(true);
    await until('every message at C, and the reply at A', () => c.received.length >= 300 && a.received.length >= 1);
    expect(numbers(c, A)).toEqual(sequence(1, 300));
    expect(a.received).toEqual([{ from: C, topic: 'reply', payload: { n: 1 } }]);
    // B carried them and delivered nothing: what it forwards is sealed for C.
    expect(b.received).toEqual([]);
    expect(b.state().endToEnd.forwarded).toBeGreaterThanOrEqual(301);
    await until('every message acknowledged end to end', () => a.state().endToEnd.held === 0);
    expect(a.state().endToEnd).toMatchObject({ sent: 300, sessionsOpened: 1, dropped: {}, refused: {} });
    expect(c.state().endToEnd).toMatchObject({ delivered: 300, sessionsAccepted: 1, refused: {} });

    // Pings go the same way: two hops out, two back, through B; none reaches an actor.
    const pinged = await a.links.ping({ to: C, count: 3, intervalMs: 10, timeoutMs: 5_000 });
    expect(pinged.replies).toEqual([1, 2, 3].map((seq) => ({ seq, rttMs: expect.any(Number), hopsOut: 2, hopsBack: 2, via: B })));
    expect(c.received).toHaveLength(300);
    // A member no route leads to: the ping waits its timeout and says so.
    const lost = await a.links.ping({ to: 'spiffe://mesh.test/node/nobody', count: 1, intervalMs: 10, timeoutMs: 200 });
    expect(lost.replies).toEqual([{ seq: 1 }]);
  });

  it('moves the routes the other way round when a node on the path goes, and loses or repeats no message sent meanwhile', async () => {
    // A square: A–B–D and A–C–D.
    const b = await node(B);
    const c = await node(C);
    const a = await node(A, [b, c]);
    const d = await node(D, [b, c]);
    await until('A reaches D', () => routeOf(a, D) !== undefined && routeOf(d, A) !== undefined);
    const first = routeOf(a, D)!.nextHop;
    const [onPath, other] = first === B ? [b, c] : [c, b];
    let n = 0;
    const sendSome = (count: number) => {
      for (let index = 0; index < count; index++) expect(a.links.sendEndToEnd(D, 'test', Buffer.from(JSON.stringify({ n: ++n })))).toBe(true);
    };
    sendSome(200);
    await until('the first messages at D', () => d.received.length >= 50);
    await onPath.links.stop();
    sendSome(200);
    await until('the route through the other node', () => routeOf(a, D)?.nextHop === other.id);
    sendSome(200);
    await until('all 600 at D', () => d.received.length >= 600, 20_000);
    expect(numbers(d, A)).toEqual(sequence(1, 600));
    await until('every message acknowledged', () => a.state().endToEnd.held === 0);
    expect(a.state().routing.routeChanges).toBeGreaterThan(0);
  });

  it('gives a restarted peer the whole table on its new link, which came up while the old one still counted', async () => {
    const b = await node(B);
    const a = await node(A, [b]);
    const c = await node(C, [b]);
    await until('C reaches A through B', () => routeOf(c, A)?.nextHop === B);
    // C starts again (a new process of the same identity) and links to B before B has seen the old one go.
    const restarted = await node(C, [b]);
    await until('B links the new C too', () => b.state().links.filter((link) => link.peer === C && link.status === 'up').length === 2);
    await c.links.stop();
    // B's routes never saw C go: the new C gets them because its link now carries C's messages.
    await until('the new C reaches A through B', () => routeOf(restarted, A)?.nextHop === B, 20_000);
    expect(a.links.sendEndToEnd(C, 'test', Buffer.from('{"n":1}'))).toBe(true);
    await until('the new C got the message', () => restarted.received.length >= 1, 20_000);
  });

  it('refuses a route to another node at metric 0, an envelope with no hops left and bytes that are no envelope, counting each, and keeps the link', async () => {
    const b = await node(B);
    const a = await node(A, [b]);
    const c = await node(C, [b]);
    await until('A reaches C', () => routeOf(a, C) !== undefined && routeOf(c, A) !== undefined);
    const enqueue = (a.links as unknown as { enqueue(to: string, topic: string, payload: Buffer): boolean }).enqueue.bind(a.links);
    // A claims to originate C's route: only C may.
    expect(enqueue(B, ROUTE_TOPIC, encodeRouteMessage({ updates: [{ destination: C, seqno: 4_000_000_000, metric: 0 }], requests: [] }))).toBe(true);
    await until('the route entry refused at B', () => b.state().routing.refused['own-prefix'] === 1);
    expect(routeOf(b, C)).toMatchObject({ nextHop: C });
    expect(enqueue(B, ROUTE_TOPIC, Buffer.from('no routing message'))).toBe(true);
    await until('the garbled routing message refused', () => b.state().routing.refused.malformed === 1);

    // A genuine envelope from A to C, captured as B would forward it, then sent again with no hops left.
    const forward = (b.links as unknown as { enqueue(to: string, topic: string, payload: Buffer): boolean }).enqueue.bind(b.links);
    let captured: Buffer | undefined;
    (b.links as unknown as { enqueue(to: string, topic: string, payload: Buffer): boolean }).enqueue = (to, topic, payload) => {
      if (topic === FORWARD_TOPIC && captured === undefined && decodeEnvelope(payload).kind === 'data') captured = Buffer.from(payload);
      return forward(to, topic, payload);
    };
    expect(a.links.sendEndToEnd(C, 'test', Buffer.from('{"n":1}'))).toBe(true);
    await until('the first message at C', () => c.received.length === 1);
    expect(enqueue(B, FORWARD_TOPIC, withHopLimit(captured!, 0))).toBe(true);
    await until('the envelope with no hops left dropped', () => b.state().endToEnd.dropped['hop-limit'] === 1);
    expect(enqueue(B, FORWARD_TOPIC, Buffer.from('no envelope'))).toBe(true);
    await until('the bytes that are no envelope refused', () => b.state().endToEnd.refused.malformed === 1);
    // The same envelope again, with hops: C has delivered it already and drops the copy.
    expect(enqueue(B, FORWARD_TOPIC, captured!)).toBe(true);
    await until('the copy dropped at C', () => c.state().endToEnd.duplicates >= 1);
    // A body moved to another seq does not open at C.
    const moved = decodeEnvelope(captured!);
    expect(enqueue(B, FORWARD_TOPIC, encodeEnvelope({ ...moved, seq: moved.seq + 5 }))).toBe(true);
    await until('the moved body refused at C', () => c.state().endToEnd.refused.authentication === 1);

    expect(a.links.sendEndToEnd(C, 'test', Buffer.from('{"n":2}'))).toBe(true);
    await until('the message after them', () => c.received.length === 2);
    expect(numbers(c, A)).toEqual([1, 2]);
    expect(a.state().links.filter((link) => link.status === 'up')).toHaveLength(1);
    expect(a.state().links[0]!.connections).toBe(1);
  });
});
