/**
 * End-to-end messages between members wired in memory, on a virtual clock, with real keys (liboqs
 * ML-DSA-65, X-Wing): what one node forwards to a neighbour waits in a queue until the test lets the
 * network carry it, and the routes are what the test says. A message reaches a neighbour or a node
 * three hops away exactly once and in order, and the forwarders deliver nothing; a message with no
 * route waits and goes when routesChanged() reports one; a reroute resends what is unacknowledged on
 * the new route at once and the destination drops the copies; a lost envelope is resent on the
 * retransmission timer; sends are refused beyond the held limits and to IDs not admitted, and what
 * waits for a destination with no member record is dropped after UNKNOWN_DESTINATION_MS; what is
 * sent before the node knows its identity goes out after identityKnown(); a restarted destination
 * answers with a signed reset and gets what was held in a new session, and a reset or
 * acknowledgement of a replaced session changes nothing; every envelope a node refuses or drops (a
 * forged reset, a replayed opening, an acknowledgement that does not check, a body moved to another
 * seq, hop limits 0 and 1, a loop, no route, an unknown origin) is counted by its reason in state().
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EndToEnd, OPENING_INTERVAL_MS, OPENINGS_PER_SECOND, RESETS_PER_SECOND, INITIAL_RTO_MS, MAX_HELD_BYTES, MAX_HELD_BYTES_PER_DESTINATION, MAX_HELD_PER_DESTINATION, MAX_RTO_MS, MIN_RTO_MS, UNKNOWN_DESTINATION_MS, type EndToEndMember } from '../../../actors/peer-link/end-to-end.js';
import { loadPqc, type Pqc } from '../../../lib/crypto/liboqs.js';
import { WireWriter } from '../../../lib/crypto/wire.js';
import { xwingKeyPair, type XWingKeyPair } from '../../../lib/crypto/xwing.js';
import { acceptSession, OPENING_BYTES, SESSION_ID_BYTES, sealAck } from '../../../lib/mesh/e2e-session.js';
import { NO_END_TO_END, type EndToEndState } from '../../../lib/mesh/end-to-end-state.js';
import { decodeEnvelope, DEFAULT_HOP_LIMIT, encodeEnvelope, envelopeAad, MAX_MESH_PAYLOAD_BYTES, withHopLimit, type MeshEnvelope } from '../../../lib/mesh/mesh-envelope.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';
const D = 'spiffe://mesh.test/node/d';
/** A member this node admits but holds no record of. */
const STRANGER = 'spiffe://mesh.test/node/stranger';
/** An ID this node's policy does not admit. */
const OUTSIDER = 'spiffe://other.test/node/outsider';
const TOPIC = 'app.events';
/** What the acknowledgement timer waits (ACK_DELAY_MS) and then some: a run this long brings every acknowledgement back. */
const ACK_ROUND = 10;
/** What a reset signs: end-to-end.ts's RESET_CONTEXT, then origin, destination and session id. */
const RESET_CONTEXT = Buffer.from('x0tta6bl4 mesh e2e reset v1\0');

let pqc: Pqc;

beforeAll(async () => {
  pqc = await loadPqc();
});

/** Long enough that no payload shows up in a ciphertext by chance. */
const payload = (index: number) => `the test's message number ${index}`;

interface Packet {
  from: string;
  to: string;
  bytes: Buffer;
  envelope: MeshEnvelope;
  /** Virtual ms it was handed to the link. */
  at: number;
}

interface Delivery {
  origin: string;
  topic: string;
  payload: string;
  hops: number;
}

interface Node {
  id: string;
  e2e: EndToEnd;
  signing: { publicKey: Uint8Array; secretKey: Uint8Array };
  kem: XWingKeyPair;
  /** This node's SPIFFE ID as its ports give it: undefined before its first SVID. */
  identity: string | undefined;
  /** Destination → neighbour: what nextHop() answers. */
  routes: Map<string, string>;
  delivered: Delivery[];
  /** Members whose record this node does not hold (member() answers undefined). */
  unknown: Set<string>;
}

/** Nodes wired in memory: forward() queues an envelope for the neighbour's receive(), which runs when the test lets the network carry it. */
class Mesh {
  readonly clock = new VirtualClock();
  readonly nodes = new Map<string, Node>();
  /** Every member's keys as its record gives them. */
  readonly records = new Map<string, EndToEndMember>();
  /** Every envelope handed to a link, lost or not. */
  readonly sent: Packet[] = [];
  /** What `lose` took off the network. */
  readonly lost: Packet[] = [];
  lose: (packet: Packet) => boolean = () => false;
  /** What a forwarder on the path does to an envelope before it goes on (a packet with another envelope is encoded anew). */
  rewrite: (packet: Packet) => Packet = (packet) => packet;
  private readonly queue: Packet[] = [];

  constructor(ids: string[]) {
    for (const id of ids) this.add(id);
  }

  add(id: string, routes = new Map<string, string>()): Node {
    const node: Node = {
      id,
      e2e: undefined as unknown as EndToEnd,
      signing: pqc.mldsa65.keypair(),
      kem: xwingKeyPair(pqc.kem('ML-KEM-768')),
      identity: id,
      routes,
      delivered: [],
      unknown: new Set(),
    };
    node.e2e = new EndToEnd({
      clock: this.clock,
      self: () => node.identity,
      pqc: () => pqc,
      kem: () => node.kem,
      signingSecretKey: () => node.signing.secretKey,
      admits: (spiffeId) => spiffeId.startsWith('spiffe://mesh.test/'),
      member: (spiffeId) => (node.unknown.has(spiffeId) ? undefined : this.records.get(spiffeId)),
      nextHop: (destination) => node.routes.get(destination),
      forward: (neighbour, bytes) => {
        const original = { from: id, to: neighbour, bytes, envelope: decodeEnvelope(bytes), at: this.clock.monotonicNow() };
        const rewritten = this.rewrite(original);
        const packet = rewritten.envelope === original.envelope ? rewritten : { ...rewritten, bytes: encodeEnvelope(rewritten.envelope) };
        this.sent.push(packet);
        if (this.lose(packet)) this.lost.push(packet);
        else this.queue.push(packet);
        return true;
      },
      deliver: (origin, topic, bytes, hops) => node.delivered.push({ origin, topic, payload: bytes.toString(), hops }),
      changed: () => undefined,
      log: () => undefined,
    });
    this.nodes.set(id, node);
    this.records.set(id, { kemPublicKey: node.kem.publicKey, mldsaPublicKey: node.signing.publicKey });
    return node;
  }

  /** The node's process starts again: new keys, nothing remembered; its record now gives the new keys. */
  restart(id: string): Node {
    const old = this.node(id);
    old.e2e.stop();
    return this.add(id, old.routes);
  }

  node(id: string): Node {
    return this.nodes.get(id)!;
  }

  /** Routes along a line of nodes: each reaches every other through its neighbour on that side. */
  line(...ids: string[]): void {
    ids.forEach((id, at) => {
      ids.forEach((other, index) => {
        if (index !== at) this.node(id).routes.set(other, ids[index < at ? at - 1 : at + 1]!);
      });
    });
  }

  /** Carries every queued envelope, and what their receivers forward in turn, without moving time. */
  flush(): void {
    for (let packet = this.queue.shift(); packet; packet = this.queue.shift()) this.node(packet.to).e2e.receive(packet.from, packet.bytes);
  }

  /** Moves time forward by `ms`, the network carrying everything between timers. */
  run(ms: number): void {
    const end = this.clock.monotonicNow() + ms;
    this.flush();
    for (let next = this.clock.nextTimerAt(); next !== undefined && next <= end; next = this.clock.nextTimerAt()) {
      this.clock.advance(next - this.clock.monotonicNow());
      this.flush();
    }
    this.clock.advance(end - this.clock.monotonicNow());
  }

  /** Hands bytes to a node as if its neighbour `from` had sent them, and carries what follows. */
  inject(from: string, to: string, bytes: Buffer): void {
    this.node(to).e2e.receive(from, bytes);
    this.flush();
  }

  send(from: string, to: string, ...indexes: number[]): boolean[] {
    return indexes.map((index) => this.node(from).e2e.send(to, TOPIC, Buffer.from(payload(index))));
  }

  payloads(id: string): string[] {
    return this.node(id).delivered.map((delivery) => delivery.payload);
  }

  packets(filter: (packet: Packet) => boolean): Packet[] {
    return this.sent.filter(filter);
  }

  state(id: string) {
    return this.node(id).e2e.state();
  }
}

const data = (from: string, to?: string) => (packet: Packet) => packet.from === from && (to === undefined || packet.to === to) && packet.envelope.kind === 'data';
const payloads = (...indexes: number[]) => indexes.map(payload);
const reencode = (envelope: MeshEnvelope, change: Partial<MeshEnvelope>) => encodeEnvelope({ ...envelope, ...change });

/** Exactly these drops and refusals were counted, none else. */
function expectCounts(state: EndToEndState, counts: Partial<Pick<EndToEndState, 'dropped' | 'refused'>>): void {
  expect({ dropped: state.dropped, refused: state.refused }).toEqual({ dropped: {}, refused: {}, ...counts });
}

/** A reset as `destination` would sign it for `origin`'s session, with whatever key is given. */
function reset(origin: string, destination: string, sessionId: Uint8Array, secretKey: Uint8Array): Buffer {
  const signed = new WireWriter().fixed(RESET_CONTEXT).vector16(Buffer.from(origin, 'utf8')).vector16(Buffer.from(destination, 'utf8')).fixed(sessionId).finish();
  return encodeEnvelope({ kind: 'reset', hopLimit: DEFAULT_HOP_LIMIT, origin: destination, destination: origin, sessionId, seq: 0, opening: new Uint8Array(0), body: pqc.mldsa65.sign(signed, secretKey) });
}

describe('end-to-end messages', () => {
  it('delivers to a neighbour exactly once and in order, sealed, and acknowledges in one coalesced acknowledgement', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    expect(mesh.send(A, B, 0, 1, 2, 3, 4)).toEqual([true, true, true, true, true]);
    mesh.run(ACK_ROUND);
    expect(mesh.node(B).delivered).toEqual(payloads(0, 1, 2, 3, 4).map((text) => ({ origin: A, topic: TOPIC, payload: text, hops: 1 })));
    expect(mesh.sent.some((packet) => packet.bytes.includes(payload(0)))).toBe(false);
    expect(mesh.state(A)).toEqual({ ...NO_END_TO_END, sent: 5, sessionsOpened: 1, sessions: { outgoing: 1, incoming: 0 } });
    expect(mesh.state(B)).toEqual({ ...NO_END_TO_END, delivered: 5, acked: 1, sessionsAccepted: 1, sessions: { outgoing: 0, incoming: 1 } });
    // Data carries the session's opening until the destination has acknowledged the session: all five here, not the sixth.
    expect(mesh.packets(data(A)).map((packet) => packet.envelope.opening.length > 0)).toEqual([true, true, true, true, true]);
    mesh.send(A, B, 5);
    mesh.run(ACK_ROUND);
    expect(mesh.packets(data(A)).at(-1)!.envelope.opening).toHaveLength(0);
    expect(mesh.payloads(B)).toEqual(payloads(0, 1, 2, 3, 4, 5));
  });

  it('delivers across three hops exactly once and in order, the forwarders delivering nothing and passing every envelope on', () => {
    const mesh = new Mesh([A, B, C, D]);
    mesh.line(A, B, C, D);
    mesh.send(A, D, 0, 1, 2);
    mesh.run(ACK_ROUND);
    expect(mesh.node(D).delivered).toEqual(payloads(0, 1, 2).map((text) => ({ origin: A, topic: TOPIC, payload: text, hops: 3 })));
    for (const forwarder of [B, C]) {
      expect(mesh.node(forwarder).delivered).toEqual([]);
      expect(mesh.state(forwarder).forwarded).toBe(mesh.packets((packet) => packet.from === forwarder).length);
      expect(mesh.state(forwarder)).toMatchObject({ delivered: 0, sessions: { outgoing: 0, incoming: 0 } });
    }
    // Three data envelopes and the acknowledgement, each passed on by both forwarders, one hop lower each time.
    expect(mesh.state(B).forwarded).toBe(4);
    expect(mesh.packets(data(C, D)).map((packet) => packet.envelope.hopLimit)).toEqual([DEFAULT_HOP_LIMIT - 2, DEFAULT_HOP_LIMIT - 2, DEFAULT_HOP_LIMIT - 2]);
    expect(mesh.state(A)).toMatchObject({ sent: 3, resent: 0, held: 0 });
  });

  it('holds messages while there is no route, and sends them when routesChanged() reports one', () => {
    const mesh = new Mesh([A, B, C]);
    mesh.line(A, B, C);
    mesh.node(A).routes.delete(C);
    expect(mesh.send(A, C, 0, 1, 2)).toEqual([true, true, true]);
    mesh.run(4 * INITIAL_RTO_MS);
    expect(mesh.packets((packet) => packet.from === A)).toEqual([]);
    expect(mesh.state(A)).toMatchObject({ sent: 0, held: 3 });
    mesh.node(A).routes.set(C, B);
    mesh.node(A).e2e.routesChanged();
    // At once, without any timer.
    expect(mesh.packets(data(A, B))).toHaveLength(3);
    mesh.run(ACK_ROUND);
    expect(mesh.payloads(C)).toEqual(payloads(0, 1, 2));
    expect(mesh.state(A)).toMatchObject({ sent: 3, resent: 0, held: 0 });
  });

  it('resends what is unacknowledged on a new route at once, and the destination drops the copies', () => {
    const mesh = new Mesh([A, B, C, D]);
    // A square: A-B-D and A-C-D; the way through B first.
    mesh.line(A, B, D);
    mesh.line(A, C, D);
    mesh.node(A).routes.set(D, B);
    mesh.node(D).routes.set(A, B);
    mesh.lose = (packet) => packet.envelope.kind === 'ack';
    mesh.send(A, D, 0, 1, 2);
    mesh.run(ACK_ROUND);
    expect(mesh.payloads(D)).toEqual(payloads(0, 1, 2));
    expect(mesh.state(A)).toMatchObject({ sent: 3, held: 3 });
    mesh.lose = () => false;
    mesh.node(A).routes.set(D, C);
    mesh.node(D).routes.set(A, C);
    const at = mesh.clock.monotonicNow();
    mesh.node(A).e2e.routesChanged();
    expect(mesh.packets(data(A, C)).map((packet) => [packet.envelope.seq, packet.at])).toEqual([
      [0, at],
      [1, at],
      [2, at],
    ]);
    mesh.flush();
    expect(mesh.payloads(D)).toEqual(payloads(0, 1, 2));
    expect(mesh.state(D)).toMatchObject({ delivered: 3, duplicates: 3 });
    // A copy of what was delivered is acknowledged at once.
    expect(mesh.state(A)).toMatchObject({ sent: 3, resent: 3, held: 0 });
  });

  it('resends nothing when routesChanged() reports routes whose next hops it already uses', () => {
    const mesh = new Mesh([A, B, C]);
    mesh.line(A, B, C);
    mesh.lose = (packet) => packet.envelope.kind === 'ack';
    mesh.send(A, C, 0, 1);
    mesh.run(ACK_ROUND);
    const before = mesh.packets(data(A)).length;
    mesh.node(A).e2e.routesChanged();
    expect(mesh.packets(data(A))).toHaveLength(before);
    expect(mesh.state(A)).toMatchObject({ sent: 2, resent: 0, held: 2 });
  });

  it('ignores a reset of a session the destination never acknowledged: a forwarder that strips an opening forces no second delivery', () => {
    const mesh = new Mesh([A, B, C]);
    mesh.line(A, B, C);
    // The forwarder B strips the opening from the first envelope and sends it on; C, knowing no such session, signs a reset.
    let stripped = false;
    mesh.rewrite = (packet) => {
      if (stripped || packet.from !== B || packet.envelope.kind !== 'data') return packet;
      stripped = true;
      return { ...packet, envelope: { ...packet.envelope, opening: new Uint8Array(0) } };
    };
    mesh.send(A, C, 0);
    mesh.run(ACK_ROUND);
    expect(mesh.state(C)).toMatchObject({ resets: { sent: 1, received: 0 }, delivered: 0 });
    // The reset reached A and changed nothing: the same session, the opening on its resend, one delivery.
    expect(mesh.state(A)).toMatchObject({ resets: { sent: 0, received: 0 }, sessionsOpened: 1 });
    mesh.run(2 * MAX_RTO_MS);
    expect(mesh.payloads(C)).toEqual(payloads(0));
    expect(mesh.state(C)).toMatchObject({ delivered: 1, sessionsAccepted: 1 });
    expect(mesh.state(A)).toMatchObject({ held: 0, sessionsOpened: 1 });
  });

  it('resends a lost envelope on the retransmission timer, not before INITIAL_RTO_MS, and the destination delivers in order', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.lose = (packet) => packet.envelope.kind === 'data' && packet.envelope.seq === 0 && mesh.lost.length === 0;
    mesh.send(A, B, 0, 1);
    mesh.run(INITIAL_RTO_MS - 1);
    // 1 waits for 0 in the reorder buffer.
    expect(mesh.payloads(B)).toEqual([]);
    expect(mesh.state(A)).toMatchObject({ sent: 2, resent: 0, held: 2 });
    mesh.run(MAX_RTO_MS);
    expect(mesh.payloads(B)).toEqual(payloads(0, 1));
    expect(mesh.state(A)).toMatchObject({ held: 0 });
    expect(mesh.state(A).resent).toBeGreaterThan(0);
    const resentAt = mesh.packets(data(A)).filter((packet) => packet.envelope.seq === 0)[1]!.at;
    expect(resentAt).toBeGreaterThanOrEqual(INITIAL_RTO_MS);
    expect(resentAt).toBeLessThanOrEqual(MAX_RTO_MS);
  });

  // The timer resends first, then doubles the timeout (RFC 6298 5.5); doubling first would hold every
  // first resend until the timeout reached MAX_RTO_MS.
  it('resends a lost envelope after INITIAL_RTO_MS, and after twice that when the resend is lost too', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.lose = (packet) => packet.envelope.kind === 'data' && packet.envelope.seq === 0 && mesh.lost.length < 2;
    mesh.send(A, B, 0);
    mesh.run(4 * INITIAL_RTO_MS);
    expect(mesh.packets(data(A)).map((packet) => packet.at)).toEqual([0, INITIAL_RTO_MS, 3 * INITIAL_RTO_MS]);
    expect(mesh.payloads(B)).toEqual(payloads(0));
  });

  it('refuses a send beyond MAX_HELD_PER_DESTINATION messages held for one destination, counted held-full', () => {
    const mesh = new Mesh([A, B]);
    for (let index = 0; index < MAX_HELD_PER_DESTINATION; index++) expect(mesh.node(A).e2e.send(B, TOPIC, Buffer.alloc(0))).toBe(true);
    expect(mesh.node(A).e2e.send(B, TOPIC, Buffer.alloc(0))).toBe(false);
    expect(mesh.state(A)).toMatchObject({ held: MAX_HELD_PER_DESTINATION });
    expectCounts(mesh.state(A), { dropped: { 'held-full': 1 } });
    // Another destination has its own limit.
    expect(mesh.send(A, C, 0)).toEqual([true]);
  });

  it('refuses a send beyond the bytes held for one destination, and beyond those held for all, counted held-full', () => {
    const mesh = new Mesh([A]);
    const a = mesh.node(A).e2e;
    // The largest payload an envelope carries, one buffer held many times over.
    const chunk = Buffer.alloc(MAX_MESH_PAYLOAD_BYTES);
    const perDestination = Math.floor(MAX_HELD_BYTES_PER_DESTINATION / (chunk.length + 1));
    for (let index = 0; index < perDestination; index++) expect(a.send(STRANGER, 't', chunk)).toBe(true);
    expect(a.send(STRANGER, 't', chunk)).toBe(false);
    expect(mesh.state(A)).toMatchObject({ held: perDestination });
    expectCounts(mesh.state(A), { dropped: { 'held-full': 1 } });
    // Three more destinations as full: the node's limit is four destinations' worth, so a fifth is refused.
    expect(MAX_HELD_BYTES).toBe(4 * MAX_HELD_BYTES_PER_DESTINATION);
    for (const name of ['e1', 'e2', 'e3']) for (let index = 0; index < perDestination; index++) expect(a.send(`spiffe://mesh.test/node/${name}`, 't', chunk)).toBe(true);
    expect(a.send('spiffe://mesh.test/node/e5', 't', chunk)).toBe(false);
    expect(mesh.state(A)).toMatchObject({ held: 4 * perDestination });
    expectCounts(mesh.state(A), { dropped: { 'held-full': 2 } });
    // What no envelope can carry is a caller's error, not a refusal to count.
    expect(() => a.send(STRANGER, 't', Buffer.alloc(MAX_MESH_PAYLOAD_BYTES + 1))).toThrow(RangeError);
    expect(() => a.send(STRANGER, 'x'.repeat(257), Buffer.alloc(1))).toThrow(RangeError);
  });

  it('refuses a send to an ID this node does not admit at once, counted unknown-destination, with no session', () => {
    const mesh = new Mesh([A]);
    expect(mesh.node(A).e2e.send(OUTSIDER, TOPIC, Buffer.from('x'))).toBe(false);
    expect(mesh.state(A)).toEqual({ ...NO_END_TO_END, dropped: { 'unknown-destination': 1 } });
  });

  it('drops what it holds for a destination with no member record after UNKNOWN_DESTINATION_MS, counted unknown-destination', () => {
    const mesh = new Mesh([A]);
    mesh.node(A).routes.set(STRANGER, STRANGER);
    mesh.node(A).e2e.send(STRANGER, TOPIC, Buffer.from('x'));
    mesh.node(A).e2e.send(STRANGER, TOPIC, Buffer.from('y'));
    mesh.run(UNKNOWN_DESTINATION_MS - 1);
    expect(mesh.sent).toEqual([]);
    expect(mesh.state(A)).toMatchObject({ held: 2, sessions: { outgoing: 1 } });
    expectCounts(mesh.state(A), {});
    mesh.run(1);
    expect(mesh.state(A)).toMatchObject({ held: 0, sessions: { outgoing: 0 } });
    expectCounts(mesh.state(A), { dropped: { 'unknown-destination': 2 } });
    expect(mesh.clock.pendingTimers()).toBe(0);
  });

  it('drops what it holds for a member no route leads to after UNKNOWN_DESTINATION_MS, counted no-route, and starts afresh on the next send', () => {
    const mesh = new Mesh([A, B]);
    mesh.send(A, B, 0, 1);
    mesh.run(UNKNOWN_DESTINATION_MS - 1);
    expect(mesh.sent).toEqual([]);
    expect(mesh.state(A)).toMatchObject({ held: 2, sessions: { outgoing: 1 } });
    mesh.run(MAX_RTO_MS);
    expect(mesh.state(A)).toMatchObject({ held: 0, sessions: { outgoing: 0 } });
    expectCounts(mesh.state(A), { dropped: { 'no-route': 2 } });
    // A route back before the deadline keeps what is held: a new send, a route, and it is delivered.
    mesh.send(A, B, 2);
    mesh.run(UNKNOWN_DESTINATION_MS / 2);
    mesh.line(A, B);
    mesh.node(A).e2e.routesChanged();
    mesh.run(ACK_ROUND);
    expect(mesh.payloads(B)).toEqual(payloads(2));
  });

  it('sends what it holds for a destination whose member record arrives within UNKNOWN_DESTINATION_MS', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.node(A).unknown.add(B);
    mesh.send(A, B, 0, 1);
    mesh.run(UNKNOWN_DESTINATION_MS - MIN_RTO_MS);
    expect(mesh.sent).toEqual([]);
    mesh.node(A).unknown.delete(B);
    mesh.run(MIN_RTO_MS + ACK_ROUND);
    expect(mesh.payloads(B)).toEqual(payloads(0, 1));
    expect(mesh.state(A)).toMatchObject({ held: 0 });
    expectCounts(mesh.state(A), {});
  });

  it('holds what is sent before this node knows its identity and sends it, in order, after identityKnown()', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    const a = mesh.node(A);
    a.identity = undefined;
    expect(a.e2e.send(B, TOPIC, Buffer.from(payload(0)))).toBe(true);
    expect(a.e2e.send(A, 'local', Buffer.from('to itself'))).toBe(true);
    expect(a.e2e.send(OUTSIDER, TOPIC, Buffer.from('refused later'))).toBe(true);
    expect(a.e2e.send(B, TOPIC, Buffer.from(payload(1)))).toBe(true);
    mesh.run(INITIAL_RTO_MS);
    expect(mesh.sent).toEqual([]);
    expect(mesh.state(A)).toMatchObject({ held: 4, sessions: { outgoing: 0 } });
    a.identity = A;
    a.e2e.identityKnown();
    expect(a.delivered).toEqual([{ origin: A, topic: 'local', payload: 'to itself', hops: 0 }]);
    mesh.run(ACK_ROUND);
    expect(mesh.payloads(B)).toEqual(payloads(0, 1));
    expect(mesh.state(A)).toMatchObject({ sent: 2, held: 0 });
    expectCounts(mesh.state(A), { dropped: { 'unknown-destination': 1 } });
  });

  it('ignores envelopes while it has no identity', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.node(B).identity = undefined;
    mesh.send(A, B, 0);
    mesh.flush();
    mesh.inject(A, B, Buffer.from('no envelope'));
    expect(mesh.state(B)).toEqual(NO_END_TO_END);
  });

  it('reopens the session when a restarted destination answers with a signed reset, and delivers what it held there', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.send(A, B, 0);
    mesh.run(ACK_ROUND);
    const firstSession = Buffer.from(mesh.packets(data(A))[0]!.envelope.sessionId);
    mesh.restart(B);
    mesh.send(A, B, 1, 2);
    mesh.run(ACK_ROUND);
    expect(mesh.payloads(B)).toEqual(payloads(1, 2));
    // One reset for both envelopes of the unknown session: a reset is signed at most every 200 ms per origin.
    expect(mesh.state(B)).toMatchObject({ delivered: 2, sessionsAccepted: 1, resets: { sent: 1, received: 0 } });
    expect(mesh.state(A)).toMatchObject({ sent: 3, resent: 2, held: 0, sessionsOpened: 2, resets: { sent: 0, received: 1 } });
    const reopened = mesh.packets(data(A)).slice(-2);
    expect(reopened.map((packet) => packet.envelope.seq)).toEqual([0, 1]);
    expect(reopened.every((packet) => !firstSession.equals(packet.envelope.sessionId))).toBe(true);
  });

  // A destination that restarts before it acknowledged a session refuses its opening (made for its old
  // X-Wing key) and sends no reset: the origin reopens when the record shows the new key.
  it('delivers to a destination that restarted before it acknowledged the session', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.send(A, B, 0);
    mesh.restart(B);
    mesh.run(4 * MAX_RTO_MS);
    expect(mesh.payloads(B)).toEqual(payloads(0));
  });

  it('tries one opening per origin every OPENING_INTERVAL_MS, dropping the rest counted opening-rate: forged openings cost one verification each at most that often', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    const forged = () =>
      encodeEnvelope({ kind: 'data', hopLimit: DEFAULT_HOP_LIMIT, origin: A, destination: B, sessionId: new Uint8Array(SESSION_ID_BYTES).map(() => Math.floor(Math.random() * 256)), seq: 0, opening: new Uint8Array(OPENING_BYTES).fill(7), body: new Uint8Array(32) });
    const b = mesh.node(B).e2e;
    b.receive(A, forged());
    b.receive(A, forged());
    b.receive(A, forged());
    expectCounts(mesh.state(B), { refused: { signature: 1 }, dropped: { 'opening-rate': 2 } });
    mesh.clock.advance(OPENING_INTERVAL_MS);
    b.receive(A, forged());
    expectCounts(mesh.state(B), { refused: { signature: 2 }, dropped: { 'opening-rate': 2 } });
    // A genuine session from A after the interval is accepted and delivered.
    mesh.clock.advance(OPENING_INTERVAL_MS);
    mesh.send(A, B, 0);
    mesh.run(ACK_ROUND);
    expect(mesh.payloads(B)).toEqual(payloads(0));
  });

  it('tries at most OPENINGS_PER_SECOND openings a second whatever origins they claim, dropping the rest counted opening-rate', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    // Openings that claim as many origins, all members B knows (with A's keys: the claims are forged).
    const claimed = Array.from({ length: OPENINGS_PER_SECOND + 1 }, (_, index) => `spiffe://mesh.test/node/claimed-${index}`);
    for (const origin of claimed) mesh.records.set(origin, mesh.records.get(A)!);
    const forged = (origin: string) =>
      encodeEnvelope({ kind: 'data', hopLimit: DEFAULT_HOP_LIMIT, origin, destination: B, sessionId: new Uint8Array(SESSION_ID_BYTES).fill(1), seq: 0, opening: new Uint8Array(OPENING_BYTES).fill(7), body: new Uint8Array(32) });
    for (const origin of claimed) mesh.node(B).e2e.receive(A, forged(origin));
    expectCounts(mesh.state(B), { refused: { signature: OPENINGS_PER_SECOND }, dropped: { 'opening-rate': 1 } });
    mesh.clock.advance(1_000);
    mesh.node(B).e2e.receive(A, forged(claimed.at(-1)!));
    expectCounts(mesh.state(B), { refused: { signature: OPENINGS_PER_SECOND + 1 }, dropped: { 'opening-rate': 1 } });
  });

  it('signs at most RESETS_PER_SECOND resets a second whatever origins the data claims, and one per origin per 200 ms', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    const claimed = Array.from({ length: RESETS_PER_SECOND + 5 }, (_, index) => `spiffe://mesh.test/node/claimed-${index}`);
    for (const origin of claimed) {
      mesh.records.set(origin, mesh.records.get(A)!);
      mesh.node(B).routes.set(origin, A);
    }
    // Data of sessions B never saw, without an opening: each asks for a signed reset.
    const unknown = (origin: string) =>
      encodeEnvelope({ kind: 'data', hopLimit: DEFAULT_HOP_LIMIT, origin, destination: B, sessionId: new Uint8Array(SESSION_ID_BYTES).fill(2), seq: 0, opening: new Uint8Array(0), body: new Uint8Array(32) });
    for (const origin of claimed) mesh.node(B).e2e.receive(A, unknown(origin));
    mesh.node(B).e2e.receive(A, unknown(claimed[0]!));
    expect(mesh.state(B).resets.sent).toBe(RESETS_PER_SECOND);
    mesh.clock.advance(1_000);
    mesh.node(B).e2e.receive(A, unknown(claimed.at(-1)!));
    expect(mesh.state(B).resets.sent).toBe(RESETS_PER_SECOND + 1);
  });

  it('refuses a reset signed by another key, counted bad-reset, and keeps the session', () => {
    const mesh = new Mesh([A, B, C]);
    mesh.line(A, B);
    mesh.send(A, B, 0);
    mesh.run(ACK_ROUND);
    const session = mesh.packets(data(A))[0]!.envelope.sessionId;
    mesh.inject(B, A, reset(A, B, session, mesh.node(C).signing.secretKey));
    expect(mesh.state(A)).toMatchObject({ resets: { received: 0 }, sessionsOpened: 1 });
    expectCounts(mesh.state(A), { refused: { 'bad-reset': 1 } });
    mesh.send(A, B, 1);
    mesh.run(ACK_ROUND);
    expect(Buffer.from(mesh.packets(data(A)).at(-1)!.envelope.sessionId).equals(session)).toBe(true);
    expect(mesh.payloads(B)).toEqual(payloads(0, 1));
    // The same reset signed with B's key is taken: the refusal was the key.
    mesh.inject(B, A, reset(A, B, session, mesh.node(B).signing.secretKey));
    expect(mesh.state(A)).toMatchObject({ resets: { received: 1 } });
    expectCounts(mesh.state(A), { refused: { 'bad-reset': 1 } });
  });

  it('refuses the opening of a session it replaced when it is replayed, counted replayed-session', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.send(A, B, 0);
    mesh.run(ACK_ROUND);
    const opening = mesh.packets(data(A))[0]!;
    expect(opening.envelope.opening.length).toBeGreaterThan(0);
    // B says it lost the session: A opens another, which B accepts in place of the first (an opening per OPENING_INTERVAL_MS).
    mesh.clock.advance(OPENING_INTERVAL_MS);
    mesh.inject(B, A, reset(A, B, opening.envelope.sessionId, mesh.node(B).signing.secretKey));
    mesh.send(A, B, 1);
    mesh.run(ACK_ROUND);
    expect(mesh.state(B)).toMatchObject({ sessionsAccepted: 2, delivered: 2 });
    mesh.inject(A, B, opening.bytes);
    expect(mesh.state(B)).toMatchObject({ sessionsAccepted: 2, delivered: 2, duplicates: 0 });
    expectCounts(mesh.state(B), { refused: { 'replayed-session': 1 } });
    expect(mesh.payloads(B)).toEqual(payloads(0, 1));
  });

  it('ignores a reset or an acknowledgement of a session it has replaced, uncounted: a forwarder cannot replay either', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.send(A, B, 0);
    mesh.run(ACK_ROUND);
    const oldAck = mesh.packets((packet) => packet.envelope.kind === 'ack')[0]!;
    const oldReset = reset(A, B, oldAck.envelope.sessionId, mesh.node(B).signing.secretKey);
    mesh.clock.advance(OPENING_INTERVAL_MS);
    mesh.inject(B, A, oldReset);
    mesh.lose = (packet) => packet.envelope.kind === 'ack';
    mesh.send(A, B, 1);
    mesh.run(ACK_ROUND);
    const newSession = Buffer.from(mesh.packets(data(A)).at(-1)!.envelope.sessionId);
    expect(newSession.equals(oldAck.envelope.sessionId)).toBe(false);
    mesh.inject(B, A, oldAck.bytes);
    mesh.inject(B, A, oldReset);
    expect(mesh.state(A)).toMatchObject({ held: 1, sessionsOpened: 2, resets: { received: 1 } });
    expectCounts(mesh.state(A), {});
    // Still the new session: what A sends next goes in it, after the seq it holds.
    mesh.lose = () => false;
    mesh.send(A, B, 2);
    const next = mesh.packets(data(A)).at(-1)!.envelope;
    expect([Buffer.from(next.sessionId).equals(newSession), next.seq]).toEqual([true, 1]);
    mesh.run(ACK_ROUND);
    expect(mesh.payloads(B)).toEqual(payloads(0, 1, 2));
  });

  it('refuses an acknowledgement that does not authenticate, or that acknowledges more than was sent, and frees nothing', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.lose = (packet) => packet.envelope.kind === 'ack';
    mesh.send(A, B, 0);
    mesh.run(ACK_ROUND);
    const ack = mesh.lost[0]!;
    const body = Buffer.from(ack.envelope.body);
    body[body.length - 1]! ^= 1;
    mesh.inject(B, A, reencode(ack.envelope, { body }));
    expect(mesh.state(A)).toMatchObject({ held: 1 });
    expectCounts(mesh.state(A), { refused: { authentication: 1 } });
    // An acknowledgement of 5 messages, sealed in the session's own keys (as B derives them), when 1 was sent.
    const first = mesh.packets(data(A))[0]!.envelope;
    const keys = acceptSession({ pqc, origin: A, destination: B, sessionId: first.sessionId, opening: first.opening, destinationKemKeyPair: mesh.node(B).kem, originSigningPublicKey: mesh.node(A).signing.publicKey });
    const header: MeshEnvelope = { ...ack.envelope, seq: 7, body: new Uint8Array(0) };
    const five = Buffer.alloc(8);
    five.writeBigUInt64BE(5n);
    mesh.inject(B, A, encodeEnvelope({ ...header, body: sealAck(keys, 7, envelopeAad(header), five) }));
    expect(mesh.state(A)).toMatchObject({ held: 1 });
    expectCounts(mesh.state(A), { refused: { authentication: 1, 'bad-ack': 1 } });
    // The genuine acknowledgement is taken.
    mesh.inject(B, A, ack.bytes);
    expect(mesh.state(A)).toMatchObject({ held: 0 });
    expectCounts(mesh.state(A), { refused: { authentication: 1, 'bad-ack': 1 } });
  });

  it('refuses a sealed body moved to another seq, counted authentication, and delivers nothing of it', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.lose = (packet) => packet.envelope.kind === 'data';
    mesh.send(A, B, 0, 1);
    mesh.flush();
    const [zero, one] = mesh.lost;
    mesh.inject(A, B, reencode(one!.envelope, { seq: 3 }));
    expect(mesh.state(B)).toMatchObject({ delivered: 0 });
    expectCounts(mesh.state(B), { refused: { authentication: 1 } });
    mesh.inject(A, B, zero!.bytes);
    mesh.inject(A, B, one!.bytes);
    expect(mesh.payloads(B)).toEqual(payloads(0, 1));
    expectCounts(mesh.state(B), { refused: { authentication: 1 } });
  });

  it('drops at a forwarder an envelope with hop limit 0 or 1, at the destination one with 0, counted hop-limit; passes one on with one hop less', () => {
    const mesh = new Mesh([A, B, C]);
    mesh.line(A, B, C);
    mesh.lose = (packet) => packet.from === A && packet.envelope.kind === 'data';
    mesh.send(A, C, 0);
    mesh.flush();
    const original = mesh.lost[0]!.bytes;
    mesh.inject(A, B, withHopLimit(original, 1));
    mesh.inject(A, B, withHopLimit(original, 0));
    expect(mesh.packets((packet) => packet.from === B)).toEqual([]);
    expect(mesh.state(B)).toMatchObject({ forwarded: 0 });
    expectCounts(mesh.state(B), { dropped: { 'hop-limit': 2 } });
    mesh.inject(B, C, withHopLimit(original, 0));
    expect(mesh.state(C)).toMatchObject({ delivered: 0, duplicates: 0 });
    expectCounts(mesh.state(C), { dropped: { 'hop-limit': 1 } });
    // Hop limit 2 at the forwarder: passed on with 1, which the destination takes (16 hops, as far as it could come).
    mesh.inject(A, B, withHopLimit(original, 2));
    expect(mesh.packets((packet) => packet.from === B).map((packet) => packet.envelope.hopLimit)).toEqual([1]);
    expect(mesh.node(C).delivered).toEqual([{ origin: A, topic: TOPIC, payload: payload(0), hops: DEFAULT_HOP_LIMIT }]);
    expect(mesh.state(B)).toMatchObject({ forwarded: 1 });
    expectCounts(mesh.state(B), { dropped: { 'hop-limit': 2 } });
  });

  it('drops at a forwarder an envelope whose next hop is the neighbour it came from, counted loop', () => {
    const mesh = new Mesh([A, B, C]);
    mesh.line(A, B, C);
    mesh.node(B).routes.set(C, A);
    mesh.send(A, C, 0);
    mesh.flush();
    expect(mesh.packets((packet) => packet.from === B)).toEqual([]);
    expect(mesh.state(B)).toMatchObject({ forwarded: 0 });
    expectCounts(mesh.state(B), { dropped: { loop: 1 } });
    expect(mesh.payloads(C)).toEqual([]);
  });

  it('drops at a forwarder an envelope for a destination it has no route to, counted no-route', () => {
    const mesh = new Mesh([A, B, C]);
    mesh.line(A, B, C);
    mesh.node(B).routes.delete(C);
    mesh.send(A, C, 0);
    mesh.flush();
    expect(mesh.packets((packet) => packet.from === B)).toEqual([]);
    expect(mesh.state(B)).toMatchObject({ forwarded: 0 });
    expectCounts(mesh.state(B), { dropped: { 'no-route': 1 } });
    expect(mesh.state(A)).toMatchObject({ held: 1 });
  });

  it('refuses data from an origin it holds no member record of, counted unknown-origin, and takes the resend once the record is there', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.node(B).unknown.add(A);
    mesh.send(A, B, 0);
    mesh.run(ACK_ROUND);
    expect(mesh.payloads(B)).toEqual([]);
    expect(mesh.state(B)).toMatchObject({ sessionsAccepted: 0 });
    expectCounts(mesh.state(B), { refused: { 'unknown-origin': 1 } });
    expect(mesh.state(A)).toMatchObject({ held: 1 });
    mesh.node(B).unknown.delete(A);
    mesh.run(MAX_RTO_MS + ACK_ROUND);
    expect(mesh.payloads(B)).toEqual(payloads(0));
    expect(mesh.state(A)).toMatchObject({ held: 0 });
  });

  it('refuses bytes that are no envelope, counted malformed, and stops its timers on stop()', () => {
    const mesh = new Mesh([A, B]);
    mesh.line(A, B);
    mesh.inject(A, B, Buffer.from('no envelope at all'));
    expect(mesh.state(B)).toEqual({ ...NO_END_TO_END, refused: { malformed: 1 } });
    mesh.node(B).routes.delete(A);
    mesh.send(A, B, 0);
    mesh.flush();
    expect(mesh.clock.pendingTimers()).toBe(2);
    mesh.node(A).e2e.stop();
    mesh.node(B).e2e.stop();
    expect(mesh.clock.pendingTimers()).toBe(0);
    expect(mesh.node(A).e2e.send(B, TOPIC, Buffer.from('after stop'))).toBe(false);
  });
});
