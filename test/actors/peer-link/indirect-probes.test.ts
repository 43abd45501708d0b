/**
 * SWIM's indirect probe, version 2 (actors/peer-link/indirect-probes.ts), on a virtual clock, a
 * scripted random and a fake network that carries each message one hop in LATENCY_MS: several
 * IndirectProbes (a requester R, helpers H1..H5, a subject S) wired together, or one of them with
 * the test playing every other node. Signatures are fakes in the ports (HMAC-SHA256 under a key
 * per node, verified by recomputing with the member's key); one test runs the real ML-DSA-65.
 *
 * - R asks up to INDIRECT_HELPERS other linked peers (never the subject, chosen at random) under a
 *   fresh 16-byte nonce, and settles once: alive, by the helper, the moment an answer carries S's
 *   signature over probeAckSigned(nonce, R, S); not alive when every helper asked answered without
 *   proof, exactly at INDIRECT_PROBE_MS when some stay quiet, and at once when there is nobody to
 *   ask, no request got out, or MAX_PENDING_PROBES are under way.
 * - A helper linked to S passes a request on as a ping and relays S's ack as the answer; not linked
 *   (or asked about itself or its asker, or its ping not out, or MAX_PENDING_PROBES being helped),
 *   it answers without proof at once; no ack within HELPER_WAIT_MS, without proof then.
 * - S signs a ping about itself; one about another node is refused as unasked.
 * - A helper that lies (a made-up signature, its own, one replayed from another probe) never makes
 *   R settle alive: refused as forged. An ack from anyone but the subject pinged, or for a request
 *   not being helped, is refused as unasked; so is an answer from a peer not asked; one from a
 *   helper asked after the probe settled is late.
 * - Requests from one requester, and pings from one helper, beyond PROBES_PER_PEER_PER_SECOND in a
 *   second are dropped and counted; the budget comes back a second later.
 * - Bytes that do not decode are refused by reason, logged sparingly, never thrown; once stopped, a
 *   node decides nothing more and takes nothing in.
 */
import { createHash, createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { HELPER_WAIT_MS, INDIRECT_HELPERS, INDIRECT_PROBE_MS, IndirectProbes, MAX_PENDING_PROBES, PROBES_PER_PEER_PER_SECOND } from '../../../actors/peer-link/indirect-probes.js';
import { loadPqc, MLDSA65_SIZES, type Pqc } from '../../../lib/crypto/liboqs.js';
import { MAX_PROBE_MESSAGE_BYTES, PROBE_NONCE_BYTES, PROBE_TOPIC, decodeIndirectProbe, encodeIndirectProbe, probeAckSigned, type IndirectProbeMessage } from '../../../lib/mesh/indirect-probe-message.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';

/** The requester: the node that lost its link to S. */
const R = 'spiffe://mesh.test/node/r';
const H1 = 'spiffe://mesh.test/node/h1';
const H2 = 'spiffe://mesh.test/node/h2';
const H3 = 'spiffe://mesh.test/node/h3';
const H4 = 'spiffe://mesh.test/node/h4';
const H5 = 'spiffe://mesh.test/node/h5';
/** The subject: the member whose link R lost. */
const S = 'spiffe://mesh.test/node/s';
const OTHER = 'spiffe://mesh.test/node/other';
/** One hop on the fake network. */
const LATENCY_MS = 5;

/** A node's fake ML-DSA key: only its own sign() uses it; verify() recomputes with the member's. */
function keyOf(node: string): Buffer {
  return createHash('sha256').update(`fake ML-DSA key of ${node}`).digest();
}

/** `signer`'s fake signature over `message`: no other node can compute it. */
function signedBy(signer: string, message: Buffer): Buffer {
  return createHmac('sha256', keyOf(signer)).update(message).digest();
}

/** The proof of life a subject gives: its signature over the requester's nonce and both IDs. */
function proof(nonce: Buffer, { requester = R, subject = S, signer = subject }: { requester?: string; subject?: string; signer?: string } = {}): Buffer {
  return signedBy(signer, probeAckSigned(nonce, requester, subject));
}

/** The n-th nonce (from 1) a node draws from its scripted source: 16 bytes, different for every node and draw. */
function nonceOf(node: string, n: number): Buffer {
  return Buffer.from(createHash('sha256').update(`${node} nonce ${n}`).digest().subarray(0, PROBE_NONCE_BYTES));
}

/** The signature an ack or an answer carries. */
const signatureIn = (message: IndirectProbeMessage) => ('signature' in message ? message.signature : undefined);

/** The last path segment: how the traces below name a node. */
const short = (id: string) => id.slice(id.lastIndexOf('/') + 1);

interface Verdict {
  alive: boolean;
  by: string | undefined;
  /** Virtual ms at which it came. */
  at: number;
}

interface Wire {
  from: string;
  to: string;
  topic: string;
  at: number;
  message: IndirectProbeMessage;
  /** Whether send() got it out (the link was up and its queue not full). */
  out: boolean;
}

interface Log {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

interface NodeOptions {
  /** What random() gives, in order; the test fails if it is asked for more (default: 0 forever). */
  draws?: number[];
  /** No signing key yet: sign() gives undefined. */
  unkeyed?: boolean;
  /** No SVID yet: selfId() gives undefined. */
  anonymous?: boolean;
  /** Peers whose link to this node has gone quiet (its failure detector's phi at 1 or more). */
  silent?: string[];
  /** Nonces from the default source (node:crypto) instead of the scripted nonceOf(node, n). */
  cryptoNonces?: boolean;
  /** What linkedPeers() gives, instead of the links of the mesh. */
  linked?: () => string[];
}

interface Signatures {
  sign(node: string, message: Buffer): Buffer | undefined;
  verify(member: string, message: Buffer, signature: Buffer): boolean;
}

const FAKE_SIGNATURES: Signatures = {
  sign: (node, message) => signedBy(node, message),
  verify: (member, message, signature) => signedBy(member, message).equals(signature),
};

interface Node {
  readonly probes: IndirectProbes;
  readonly logs: Log[];
  /** Every verify() call: the member, the bytes and the outcome. */
  readonly verified: { member: string; message: Buffer; valid: boolean }[];
  changes: number;
  drawn: number;
  nonces: number;
}

const ZERO = { asked: 0, reached: 0, answered: 0, late: 0, relayed: 0, signed: 0, throttled: 0, refused: {} };

/**
 * Nodes on a fake network. Those in `real` run IndirectProbes; every other node named in `links` is
 * played by the test: what reaches it is recorded, and it sends only what the test makes it send.
 * A message goes out only over a link that is up, and arrives LATENCY_MS later (lost if the link is
 * cut meanwhile).
 */
function mesh(options: { real: string[]; links: [string, string][]; nodes?: Record<string, NodeOptions>; signatures?: Signatures }) {
  const clock = new VirtualClock();
  const pair = (a: string, b: string) => (a < b ? `${a} ${b}` : `${b} ${a}`);
  const links = new Set(options.links.map(([a, b]) => pair(a, b)));
  const everyone = [...new Set([...options.real, ...options.links.flat()])];
  const full = new Set<string>();
  const wire: Wire[] = [];
  const arrivals: Wire[] = [];
  const nodes = new Map<string, Node>();
  const signatures = options.signatures ?? FAKE_SIGNATURES;
  let inFlight = 0;

  const transmit = (from: string, to: string, topic: string, bytes: Buffer): boolean => {
    const message = decodeIndirectProbe(bytes);
    const out = links.has(pair(from, to)) && !full.has(`${from} ${to}`);
    wire.push({ from, to, topic, at: clock.monotonicNow(), message, out });
    if (!out) return false;
    inFlight++;
    clock.setTimeout(() => {
      inFlight--;
      if (!links.has(pair(from, to))) return;
      arrivals.push({ from, to, topic, at: clock.monotonicNow(), message, out });
      nodes.get(to)?.probes.receive(from, bytes);
    }, LATENCY_MS);
    return true;
  };

  for (const id of options.real) {
    const own = options.nodes?.[id] ?? {};
    const draws = own.draws ? [...own.draws] : undefined;
    const node: Node = { logs: [], verified: [], changes: 0, drawn: 0, nonces: 0, probes: undefined as unknown as IndirectProbes };
    (node as { probes: IndirectProbes }).probes = new IndirectProbes({
      clock,
      random: () => {
        node.drawn++;
        if (!draws) return 0;
        const next = draws.shift();
        if (next === undefined) throw new Error('random() was called more often than the test scripted');
        return next;
      },
      selfId: () => (own.anonymous ? undefined : id),
      send: (peer, topic, bytes) => transmit(id, peer, topic, bytes),
      linkedPeers: own.linked ?? (() => everyone.filter((other) => other !== id && links.has(pair(id, other)))),
      // A helper's own link to the subject keeps its rhythm unless the test says it went quiet.
      responsive: (peer) => !(own.silent ?? []).includes(peer),
      sign: (message) => (own.unkeyed ? undefined : signatures.sign(id, message)),
      verify: (member, message, signature) => {
        const valid = signatures.verify(member, message, signature);
        node.verified.push({ member, message, valid });
        return valid;
      },
      changed: () => {
        node.changes++;
      },
      log: (level, message, fields) => {
        node.logs.push({ level, message, fields });
      },
      ...(own.cryptoNonces ? {} : { nonce: () => nonceOf(id, ++node.nonces) }),
    });
    nodes.set(id, node);
  }

  const node = (id: string): Node => {
    const found = nodes.get(id);
    if (!found) throw new Error(`${id} is played by the test`);
    return found;
  };
  return {
    clock,
    wire,
    node,
    /** `from` asks about `subject`; the verdicts of this probe alone. */
    ask(from: string, subject = S): Verdict[] {
      const mine: Verdict[] = [];
      node(from).probes.ask(subject, (alive, by) => mine.push({ alive, by, at: clock.monotonicNow() }));
      return mine;
    },
    /** A node the test plays sends `message` over the network. */
    send: (from: string, to: string, message: IndirectProbeMessage) => transmit(from, to, PROBE_TOPIC, encodeIndirectProbe(message)),
    /** `message` (or raw bytes) from `from` handed to the real node `to` at once, as if it just arrived. */
    receive(to: string, from: string, message: IndirectProbeMessage | Buffer): void {
      node(to).probes.receive(from, Buffer.isBuffer(message) ? message : encodeIndirectProbe(message));
    },
    /** What reached `id` so far. */
    arrived: (id: string) => arrivals.filter((each) => each.to === id),
    /** Every message sent, as "ms from→to kind" (the IDs' last segments), in the order sent. */
    trace: () => wire.map((each) => `${each.at} ${short(each.from)}→${short(each.to)} ${each.message.kind}${each.out ? '' : ' (not out)'}`),
    /** From now on, send() from `from` to `to` fails (its queue is full), though the link stays up. */
    fill: (from: string, to: string) => full.add(`${from} ${to}`),
    cut: (a: string, b: string) => links.delete(pair(a, b)),
    link: (a: string, b: string) => links.add(pair(a, b)),
    /** Timers the probes hold (the clock's, less the messages in flight). */
    ownTimers: () => clock.pendingTimers() - inFlight,
    inFlight: () => inFlight,
  };
}

/** R real, linked to `helpers` (H1..H3 by default), all played by the test: what a requester does. */
function requester(options: NodeOptions & { helpers?: string[] } = {}) {
  const { helpers = [H1, H2, H3], ...own } = options;
  const net = mesh({ real: [R], links: helpers.map((helper) => [R, helper]), nodes: { [R]: own } });
  /** The answer of a helper the test plays to R's n-th probe, handed to R at once: with S's proof over that nonce, or another signature, or none. */
  const answer = (from: string, n: number, signature: 'proof' | Buffer | undefined = undefined, subject = S) =>
    net.receive(R, from, { kind: 'answer', nonce: nonceOf(R, n), subject, signature: signature === 'proof' ? proof(nonceOf(R, n), { subject }) : signature });
  return { ...net, answer, r: net.node(R) };
}

/** Everyone real: R linked to H1..H3, and S linked to H1 alone (R's own link to S is the one lost), plus `more` links. */
function everyoneReal(more: [string, string][] = []) {
  return mesh({ real: [R, H1, H2, H3, S], links: [[R, H1], [R, H2], [R, H3], [H1, S], ...more] });
}

describe('indirect probes: asking', () => {
  it('decides "not alive" at once, asking nobody and setting no timer, when no peer but the subject is linked', () => {
    for (const peers of [[], [S], [S, S]]) {
      const net = requester({ linked: () => peers });
      const verdict = net.ask(R);
      // Synchronous: decided before ask() returns, so a suspicion is never held back for nothing.
      expect(verdict, JSON.stringify(peers)).toEqual([{ alive: false, by: undefined, at: 0 }]);
      expect(net.wire).toEqual([]);
      expect(net.ownTimers()).toBe(0);
      expect(net.r.drawn).toBe(0);
      expect(net.r.probes.counters).toStrictEqual(ZERO);
      net.clock.advance(INDIRECT_PROBE_MS * 10);
      expect(verdict).toHaveLength(1);
      expect(net.r.changes).toBe(0);
    }
  });

  it('asks at most INDIRECT_HELPERS peers, never the subject, each a request about the subject on $probe under one nonce', () => {
    expect(INDIRECT_HELPERS).toBe(3);
    // The subject among the linked peers (it may have redialed on a second connection) is filtered out before choosing.
    const net = requester({ helpers: [H1, H2, H3, H4, H5], linked: () => [S, H1, H2, S, H3, H4, H5], draws: [0.99, 0.99, 0.99] });
    const verdict = net.ask(R);
    expect(verdict).toEqual([]);
    expect(net.wire).toHaveLength(INDIRECT_HELPERS);
    expect(net.wire.map((each) => each.to)).not.toContain(S);
    expect(new Set(net.wire.map((each) => each.to)).size).toBe(INDIRECT_HELPERS);
    for (const each of net.wire) expect(each).toStrictEqual({ from: R, to: each.to, topic: PROBE_TOPIC, at: 0, out: true, message: { kind: 'request', nonce: nonceOf(R, 1), subject: S } });
    // One draw per helper chosen, no more; one timer, for the wait.
    expect(net.r.drawn).toBe(INDIRECT_HELPERS);
    expect(net.ownTimers()).toBe(1);
    expect(net.r.probes.counters).toStrictEqual({ ...ZERO, asked: 1 });
  });

  it('asks every other peer when fewer than INDIRECT_HELPERS are linked, drawing once per helper', () => {
    const net = requester({ helpers: [H1, H2], linked: () => [H1, S, H2], draws: [0, 0] });
    net.ask(R);
    expect(net.wire.map((each) => each.to).sort()).toEqual([H1, H2]);
    expect(net.r.drawn).toBe(2);
  });

  it('chooses its helpers at random: two random scripts choose different helpers', () => {
    // A partial Fisher-Yates shuffle over [H1..H5]: draws of 0 keep the order; draws near 1 swap in the last each time.
    const helpers = [H1, H2, H3, H4, H5];
    const low = requester({ helpers, draws: [0, 0, 0] });
    low.ask(R);
    expect(low.wire.map((each) => each.to)).toEqual([H1, H2, H3]);
    const high = requester({ helpers, draws: [0.99, 0.99, 0.99] });
    high.ask(R);
    // [H5 H2 H3 H4 H1] → [H5 H1 H3 H4 H2] → [H5 H1 H2 H4 H3]
    expect(high.wire.map((each) => each.to)).toEqual([H5, H1, H2]);
  });

  it('can choose any peer first, the last one included', () => {
    const helpers = [H1, H2, H3, H4, H5];
    const firsts = helpers.map((_, index) => {
      const net = requester({ helpers, draws: [(index + 0.5) / helpers.length, 0, 0] });
      net.ask(R);
      return net.wire[0]!.to;
    });
    expect(firsts).toEqual(helpers);
  });

  it('draws each probe a fresh 16-byte nonce from node:crypto by default, so answers to one do not settle another', () => {
    const net = requester({ cryptoNonces: true });
    const first = net.ask(R, S);
    const second = net.ask(R, OTHER);
    const third = net.ask(R, S);
    const nonces = net.wire.map((each) => each.message.nonce);
    expect(nonces.every((nonce) => nonce.length === PROBE_NONCE_BYTES)).toBe(true);
    // One nonce per probe, the same to each of its helpers; no two probes alike.
    expect(new Set(nonces.map((nonce) => nonce.toString('hex'))).size).toBe(3);
    for (const probe of [0, 1, 2]) expect(new Set(nonces.slice(probe * 3, probe * 3 + 3).map((nonce) => nonce.toString('hex'))).size).toBe(1);
    const nonceOfSecond = nonces[3]!;
    net.receive(R, H1, { kind: 'answer', nonce: nonceOfSecond, subject: OTHER, signature: proof(nonceOfSecond, { subject: OTHER }) });
    expect(second).toEqual([{ alive: true, by: H1, at: 0 }]);
    expect(first).toEqual([]);
    expect(third).toEqual([]);
    // OTHER's proof for the second probe, sent as an answer to the first, is no proof of S.
    net.receive(R, H2, { kind: 'answer', nonce: nonces[0]!, subject: S, signature: proof(nonceOfSecond, { subject: OTHER }) });
    expect(first).toEqual([]);
    expect(net.r.probes.counters).toMatchObject({ asked: 3, reached: 1, answered: 2, refused: { forged: 1 } });
  });

  it('decides "not alive" at once, asking nobody, about an ID no request could carry', () => {
    const net = requester();
    for (const subject of ['node-s', '', 'spiffe://mesh.test/\uD800', `spiffe://${'n'.repeat(2_048)}`]) {
      expect(net.ask(R, subject), JSON.stringify(subject.slice(0, 20))).toEqual([{ alive: false, by: undefined, at: 0 }]);
    }
    expect(net.wire).toEqual([]);
    expect(net.r.probes.counters.asked).toBe(0);
  });

  it('keeps concurrent probes about the same member apart, each with its own verdict', () => {
    const net = requester({ helpers: [H1, H2] });
    const first = net.ask(R);
    const second = net.ask(R);
    net.answer(H1, 2, 'proof');
    expect(second).toEqual([{ alive: true, by: H1, at: 0 }]);
    expect(first).toEqual([]);
    net.answer(H1, 1);
    net.answer(H2, 1);
    expect(first).toEqual([{ alive: false, by: undefined, at: 0 }]);
  });

  it('decides "not alive" at once, asking nobody, once MAX_PENDING_PROBES probes are under way', () => {
    const net = requester();
    const under: Verdict[][] = [];
    for (let index = 0; index < MAX_PENDING_PROBES; index++) under.push(net.ask(R, `spiffe://mesh.test/node/m${index}`));
    expect(under.every((verdict) => verdict.length === 0)).toBe(true);
    expect(net.wire).toHaveLength(MAX_PENDING_PROBES * 3);
    expect(net.ownTimers()).toBe(MAX_PENDING_PROBES);
    const beyond = net.ask(R);
    expect(beyond).toEqual([{ alive: false, by: undefined, at: 0 }]);
    expect(net.wire).toHaveLength(MAX_PENDING_PROBES * 3);
    expect(net.r.probes.counters.asked).toBe(MAX_PENDING_PROBES);
    // One settled frees a place: the next probe is asked again.
    for (const helper of [H1, H2, H3]) net.answer(helper, 1, undefined, 'spiffe://mesh.test/node/m0');
    expect(under[0]).toEqual([{ alive: false, by: undefined, at: 0 }]);
    const next = net.ask(R);
    expect(next).toEqual([]);
    expect(net.wire).toHaveLength(MAX_PENDING_PROBES * 3 + 3);
    // And the wait of each still runs out: every one under way is decided at INDIRECT_PROBE_MS.
    net.clock.advance(INDIRECT_PROBE_MS);
    expect(under.every((verdict) => verdict.length === 1 && !verdict[0]!.alive)).toBe(true);
    expect(next).toEqual([{ alive: false, by: undefined, at: INDIRECT_PROBE_MS }]);
    expect(net.ownTimers()).toBe(0);
  });
});

describe('indirect probes: deciding', () => {
  it('decides "alive" the moment a helper brings the subject\'s signature over its nonce, naming the helper, and clears its timer', () => {
    const net = requester();
    const verdict = net.ask(R);
    net.answer(H1, 1);
    expect(verdict).toEqual([]);
    net.clock.advance(50);
    net.answer(H2, 1, 'proof');
    expect(verdict).toEqual([{ alive: true, by: H2, at: 50 }]);
    // Checked against S's key, over the bytes S signs for this node and this nonce.
    expect(net.r.verified).toEqual([{ member: S, message: probeAckSigned(nonceOf(R, 1), R, S), valid: true }]);
    expect(net.ownTimers()).toBe(0);
    expect(net.r.changes).toBe(1);
    expect(net.r.probes.counters).toStrictEqual({ ...ZERO, asked: 1, reached: 1, answered: 2 });
    // The timer is gone: its running out later does not call the verdict again.
    net.clock.advance(INDIRECT_PROBE_MS * 10);
    expect(verdict).toHaveLength(1);
    expect(net.r.probes.counters.reached).toBe(1);
  });

  it('decides "not alive" as soon as the last helper asked answers without proof, before INDIRECT_PROBE_MS', () => {
    const net = requester();
    const verdict = net.ask(R);
    net.clock.advance(10);
    net.answer(H3, 1);
    net.answer(H1, 1);
    expect(verdict, 'one helper still to answer').toEqual([]);
    expect(net.r.changes).toBe(0);
    net.answer(H2, 1);
    expect(verdict).toEqual([{ alive: false, by: undefined, at: 10 }]);
    expect(net.ownTimers()).toBe(0);
    expect(net.r.changes).toBe(1);
    // Nothing to check: an answer without proof calls no verify().
    expect(net.r.verified).toEqual([]);
    expect(net.r.probes.counters).toStrictEqual({ ...ZERO, asked: 1, answered: 3 });
    net.clock.advance(INDIRECT_PROBE_MS);
    expect(verdict).toHaveLength(1);
  });

  it('decides "not alive" exactly at INDIRECT_PROBE_MS when a helper stays quiet, not a millisecond before', () => {
    const net = requester();
    const verdict = net.ask(R);
    net.answer(H1, 1);
    net.answer(H2, 1);
    net.clock.advance(INDIRECT_PROBE_MS - 1);
    expect(verdict).toEqual([]);
    net.clock.advance(1);
    expect(verdict).toEqual([{ alive: false, by: undefined, at: INDIRECT_PROBE_MS }]);
    expect(net.r.changes).toBe(1);
    net.clock.advance(INDIRECT_PROBE_MS * 10);
    expect(verdict).toHaveLength(1);
    expect(net.r.probes.counters).toStrictEqual({ ...ZERO, asked: 1, answered: 2 });
  });

  it('decides "not alive" at INDIRECT_PROBE_MS when nobody answers at all', () => {
    const net = requester({ helpers: [H1, H2] });
    const verdict = net.ask(R);
    net.clock.advance(INDIRECT_PROBE_MS - 1);
    expect(verdict).toEqual([]);
    net.clock.advance(1);
    expect(verdict).toEqual([{ alive: false, by: undefined, at: INDIRECT_PROBE_MS }]);
  });

  it('decides "not alive" at once, with no timer, when no request to any helper got out', () => {
    const net = requester({ helpers: [H1, H2, H3, H4] });
    for (const helper of [H1, H2, H3, H4]) net.fill(R, helper);
    const verdict = net.ask(R);
    expect(net.trace(), 'every helper chosen was tried').toEqual(['0 r→h1 request (not out)', '0 r→h2 request (not out)', '0 r→h3 request (not out)']);
    expect(verdict).toEqual([{ alive: false, by: undefined, at: 0 }]);
    expect(net.ownTimers()).toBe(0);
    expect(net.r.probes.counters.asked).toBe(0);
  });

  it('waits only for the helpers a request reached: one it could not reach neither counts nor is waited for', () => {
    const net = requester();
    net.fill(R, H1);
    const verdict = net.ask(R);
    expect(net.r.probes.counters.asked).toBe(1);
    // H1 was never asked (its send failed): even a valid proof from it is refused, not taken.
    net.answer(H1, 1, 'proof');
    expect(verdict).toEqual([]);
    expect(net.r.probes.counters.refused).toEqual({ unasked: 1 });
    expect(net.r.logs).toHaveLength(1);
    net.answer(H2, 1);
    expect(verdict).toEqual([]);
    net.answer(H3, 1);
    expect(verdict).toEqual([{ alive: false, by: undefined, at: 0 }]);
  });
});

describe('indirect probes: end to end', () => {
  it('R asks about S; H1, linked to S, pings it; S signs; H1 relays; R settles alive by H1 four hops later, well before INDIRECT_PROBE_MS', () => {
    const net = everyoneReal();
    const verdict = net.ask(R);
    net.clock.advance(INDIRECT_PROBE_MS);
    expect(verdict).toEqual([{ alive: true, by: H1, at: 4 * LATENCY_MS }]);
    expect(4 * LATENCY_MS).toBeLessThan(INDIRECT_PROBE_MS);
    // H2 and H3 hold no link to S: they answer without proof at once; H1 passes the request on.
    expect(net.trace()).toEqual(['0 r→h1 request', '0 r→h2 request', '0 r→h3 request', '5 h1→s ping', '5 h2→r answer', '5 h3→r answer', '10 s→h1 ack', '15 h1→r answer']);
    const nonce = nonceOf(R, 1);
    expect(net.wire.map((each) => each.message)).toStrictEqual([
      { kind: 'request', nonce, subject: S },
      { kind: 'request', nonce, subject: S },
      { kind: 'request', nonce, subject: S },
      { kind: 'ping', nonce, requester: R, subject: S },
      { kind: 'answer', nonce, subject: S, signature: undefined },
      { kind: 'answer', nonce, subject: S, signature: undefined },
      { kind: 'ack', nonce, requester: R, subject: S, signature: proof(nonce) },
      { kind: 'answer', nonce, subject: S, signature: proof(nonce) },
    ]);
    expect(net.wire.every((each) => each.topic === PROBE_TOPIC)).toBe(true);
    expect(net.node(R).verified).toEqual([{ member: S, message: probeAckSigned(nonce, R, S), valid: true }]);
    expect(net.node(R).probes.counters).toStrictEqual({ ...ZERO, asked: 1, reached: 1, answered: 3 });
    expect(net.node(H1).probes.counters).toStrictEqual({ ...ZERO, relayed: 1 });
    // Answering without proof is no work worth counting.
    expect(net.node(H2).probes.counters).toStrictEqual(ZERO);
    expect(net.node(S).probes.counters).toStrictEqual({ ...ZERO, signed: 1 });
    // The helper's wait ended with the ack: no timer is left anywhere.
    expect(net.clock.pendingTimers()).toBe(0);
    for (const id of [R, H1, H2, H3, S]) expect(net.node(id).logs, id).toEqual([]);
  });

  it('a linked helper whose subject never acks answers without proof at HELPER_WAIT_MS, not a millisecond before, and R settles not alive on it', () => {
    // S is down, though H1 has not yet noticed its link is gone: S is played by the test, and stays silent.
    const net = mesh({ real: [R, H1, H2, H3], links: [[R, H1], [R, H2], [R, H3], [H1, S]] });
    const verdict = net.ask(R);
    net.clock.advance(LATENCY_MS + HELPER_WAIT_MS - 1);
    expect(net.arrived(S).map((each) => each.message)).toStrictEqual([{ kind: 'ping', nonce: nonceOf(R, 1), requester: R, subject: S }]);
    expect(net.trace()).not.toContain(`${LATENCY_MS + HELPER_WAIT_MS - 1} h1→r answer`);
    expect(net.wire.filter((each) => each.from === H1 && each.message.kind === 'answer')).toEqual([]);
    net.clock.advance(1);
    expect(net.trace().at(-1)).toBe(`${LATENCY_MS + HELPER_WAIT_MS} h1→r answer`);
    expect(net.wire.at(-1)!.message).toStrictEqual({ kind: 'answer', nonce: nonceOf(R, 1), subject: S, signature: undefined });
    expect(verdict).toEqual([]);
    net.clock.advance(LATENCY_MS);
    // H2 and H3 answered at 10: H1's answer was the last awaited, and R need not wait out INDIRECT_PROBE_MS.
    expect(verdict).toEqual([{ alive: false, by: undefined, at: 2 * LATENCY_MS + HELPER_WAIT_MS }]);
    expect(2 * LATENCY_MS + HELPER_WAIT_MS).toBeLessThan(INDIRECT_PROBE_MS);
    expect(net.ownTimers()).toBe(0);
    // S's ack once H1 gave up is for a request no longer helped: refused, and nothing more goes to R.
    const sent = net.wire.length;
    net.send(S, H1, { kind: 'ack', nonce: nonceOf(R, 1), requester: R, subject: S, signature: proof(nonceOf(R, 1)) });
    net.clock.advance(LATENCY_MS);
    expect(net.wire).toHaveLength(sent + 1);
    expect(net.node(H1).probes.counters).toStrictEqual({ ...ZERO, relayed: 1, refused: { unasked: 1 } });
  });

  it('a helper answers without proof at once when not linked to the subject, asked about itself or its asker, or when its ping does not get out', () => {
    const net = mesh({ real: [H1], links: [[R, H1], [H1, S], [H1, OTHER]] });
    const request = (n: number, subject: string) => net.receive(H1, R, { kind: 'request', nonce: nonceOf(R, n), subject });
    request(1, H2); // not linked to H1
    request(2, H1); // H1 itself
    request(3, R); // the asker itself: linked, but it cannot vouch for itself through H1
    net.fill(H1, S);
    request(4, S); // linked, but its ping's queue is full
    expect(net.trace()).toEqual(['0 h1→r answer', '0 h1→r answer', '0 h1→r answer', '0 h1→s ping (not out)', '0 h1→r answer']);
    expect(net.wire.filter((each) => each.to === R).map((each) => each.message)).toStrictEqual([
      { kind: 'answer', nonce: nonceOf(R, 1), subject: H2, signature: undefined },
      { kind: 'answer', nonce: nonceOf(R, 2), subject: H1, signature: undefined },
      { kind: 'answer', nonce: nonceOf(R, 3), subject: R, signature: undefined },
      { kind: 'answer', nonce: nonceOf(R, 4), subject: S, signature: undefined },
    ]);
    // Nothing waited for, nothing passed on.
    expect(net.ownTimers()).toBe(0);
    expect(net.node(H1).probes.counters).toStrictEqual(ZERO);
    // The linked subject it can reach is pinged, and the request waited on.
    request(5, OTHER);
    expect(net.trace().at(-1)).toBe('0 h1→other ping');
    expect(net.ownTimers()).toBe(1);
    // The same request again, while it is being helped, is answered without proof at once, not pinged twice.
    request(5, OTHER);
    expect(net.trace().at(-1)).toBe('0 h1→r answer');
    expect(net.node(H1).probes.counters).toStrictEqual({ ...ZERO, relayed: 1 });
  });

  it('a helper answers without proof at once once MAX_PENDING_PROBES requests are being helped', () => {
    const net = mesh({ real: [H1], links: [[H1, S]] });
    // Many requesters, each within its own budget, about S whom H1 can reach: each request waits on S's ack.
    const requesters = Array.from({ length: Math.ceil((MAX_PENDING_PROBES + 1) / PROBES_PER_PEER_PER_SECOND) }, (_, index) => `spiffe://mesh.test/node/q${index}`);
    let sent = 0;
    for (const requester of requesters) {
      for (let n = 1; n <= PROBES_PER_PEER_PER_SECOND && sent <= MAX_PENDING_PROBES; n++, sent++) net.receive(H1, requester, { kind: 'request', nonce: nonceOf(requester, n), subject: S });
    }
    const pings = net.wire.filter((each) => each.message.kind === 'ping');
    const answers = net.wire.filter((each) => each.message.kind === 'answer');
    expect(pings).toHaveLength(MAX_PENDING_PROBES);
    expect(answers).toHaveLength(1);
    expect(signatureIn(answers[0]!.message)).toBeUndefined();
    expect(net.ownTimers()).toBe(MAX_PENDING_PROBES);
    expect(net.node(H1).probes.counters).toStrictEqual({ ...ZERO, relayed: MAX_PENDING_PROBES });
    // Each waited request is answered without proof when its wait runs out.
    net.clock.advance(HELPER_WAIT_MS);
    expect(net.wire.filter((each) => each.message.kind === 'answer')).toHaveLength(MAX_PENDING_PROBES + 1);
    expect(net.ownTimers()).toBe(0);
  });

  it('two helpers linked to the subject both reach it: the first proof settles alive, the second is counted late', () => {
    const net = everyoneReal([[H2, S]]);
    const verdict = net.ask(R);
    net.clock.advance(INDIRECT_PROBE_MS);
    expect(verdict).toEqual([{ alive: true, by: H1, at: 4 * LATENCY_MS }]);
    expect(net.node(S).probes.counters).toStrictEqual({ ...ZERO, signed: 2 });
    // H3's answer without proof at 10, H1's proof at 20; H2's, a moment after, is late: not checked, not counted against it.
    expect(net.node(R).probes.counters).toStrictEqual({ ...ZERO, asked: 1, reached: 1, answered: 2, late: 1 });
    expect(net.node(R).verified).toHaveLength(1);
    expect(net.node(R).logs).toEqual([]);
  });
});

describe('indirect probes: a helper cannot lie', () => {
  it('never settles alive on a made-up signature, or a real one by anyone but the subject: refused as forged, settled not alive by the others', () => {
    const nonce = nonceOf(R, 1);
    const lies: [string, Buffer][] = [
      ['random bytes', createHash('sha256').update('made up').digest()],
      ['as long as an ML-DSA-65 signature', Buffer.alloc(MLDSA65_SIZES.signature, 0x5a)],
      ['one byte', Buffer.from([1])],
      ["the helper's own signature over the right bytes", proof(nonce, { signer: H1 })],
      ["R's own signature over the right bytes", proof(nonce, { signer: R })],
      ["S's signature with one bit flipped", Buffer.from(proof(nonce).map((byte, index) => (index === 0 ? byte ^ 1 : byte)))],
    ];
    for (const [what, signature] of lies) {
      // H1 lies (the test plays it); H2 and H3 are honest and hold no link to S, which is down.
      const net = mesh({ real: [R, H2, H3], links: [[R, H1], [R, H2], [R, H3], [H1, S]] });
      const verdict = net.ask(R);
      net.clock.advance(LATENCY_MS);
      net.send(H1, R, { kind: 'answer', nonce, subject: S, signature });
      net.clock.advance(LATENCY_MS);
      // The liar's answer came last: with it every helper asked has answered, none with proof.
      expect(verdict, what).toEqual([{ alive: false, by: undefined, at: 2 * LATENCY_MS }]);
      const r = net.node(R);
      expect(r.probes.counters, what).toStrictEqual({ ...ZERO, asked: 1, answered: 3, refused: { forged: 1 } });
      expect(r.verified, what).toEqual([{ member: S, message: probeAckSigned(nonce, R, S), valid: false }]);
      expect(r.logs, what).toEqual([{ level: 'warn', message: 'refused an indirect probe message', fields: { from: H1, reason: 'forged', times: 1, detail: expect.stringMatching(/does not verify/) } }]);
    }
  });

  it("never settles alive on a valid ack replayed from an earlier probe, or S's signature for another requester, subject or nonce: forged, and not alive at the timeout", () => {
    const net = requester();
    // The first probe: S was alive, and H1 relayed its genuine proof.
    const first = net.ask(R);
    net.answer(H1, 1, 'proof');
    expect(first).toEqual([{ alive: true, by: H1, at: 0 }]);
    const old = proof(nonceOf(R, 1));
    // S is down now. H1 keeps what it saw, and tries it on the next probes, each under that probe's own nonce.
    const replays: [string, (nonce: Buffer) => Buffer][] = [
      ['the ack of the earlier probe', () => old],
      // As if H1 had pinged S naming itself as the requester, under R's nonce.
      ["S's signature for another requester, under this nonce", (nonce) => proof(nonce, { requester: H1 })],
      ["S's signature about another member, under this nonce", (nonce) => signedBy(S, probeAckSigned(nonce, R, OTHER))],
      ["S's signature for R and S with the IDs swapped, under this nonce", (nonce) => signedBy(S, probeAckSigned(nonce, S, R))],
    ];
    replays.forEach(([what, signature], index) => {
      const n = index + 2;
      const start = net.clock.monotonicNow();
      const verdict = net.ask(R);
      net.answer(H1, n, signature(nonceOf(R, n)));
      expect(verdict, what).toEqual([]);
      expect(net.r.probes.counters.refused.forged, what).toBe(index + 1);
      // H2 and H3 stay quiet: the wait runs out.
      net.clock.advance(INDIRECT_PROBE_MS);
      expect(verdict, what).toEqual([{ alive: false, by: undefined, at: start + INDIRECT_PROBE_MS }]);
    });
    // The earlier answer itself, sent again under its own nonce, is for a probe settled long ago, and H1 answered it then.
    net.answer(H1, 1, 'proof');
    expect(net.r.probes.counters).toStrictEqual({ ...ZERO, asked: 5, reached: 1, answered: 5, refused: { forged: 4, unasked: 1 } });
    expect(first).toHaveLength(1);
  });

  it("a liar's forged answer uses up its place; a truthful helper's proof still settles alive", () => {
    // H1 and H3 are played by the test (H1 lies, H3 is slow); H2 is linked to S and relays its proof.
    const net = mesh({ real: [R, H2, S], links: [[R, H1], [R, H2], [R, H3], [H2, S]] });
    const verdict = net.ask(R);
    net.clock.advance(LATENCY_MS);
    net.send(H1, R, { kind: 'answer', nonce: nonceOf(R, 1), subject: S, signature: proof(nonceOf(R, 1), { signer: H1 }) });
    net.clock.advance(LATENCY_MS);
    expect(net.node(R).probes.counters.refused).toEqual({ forged: 1 });
    expect(verdict).toEqual([]);
    net.clock.advance(2 * LATENCY_MS);
    expect(verdict).toEqual([{ alive: true, by: H2, at: 4 * LATENCY_MS }]);
    // A second try by the liar is no answer it was asked for; H3's, after the verdict, is late.
    net.send(H1, R, { kind: 'answer', nonce: nonceOf(R, 1), subject: S, signature: undefined });
    net.send(H3, R, { kind: 'answer', nonce: nonceOf(R, 1), subject: S, signature: undefined });
    net.clock.advance(LATENCY_MS);
    expect(net.node(R).probes.counters).toStrictEqual({ ...ZERO, asked: 1, reached: 1, answered: 2, late: 1, refused: { forged: 1, unasked: 1 } });
    expect(verdict).toHaveLength(1);
  });
});

describe('indirect probes: the subject', () => {
  it('signs a ping about itself, for whichever requester it names, and sends the ack back to the helper that pinged', () => {
    const net = mesh({ real: [S], links: [[H1, S], [H2, S]] });
    net.receive(S, H1, { kind: 'ping', nonce: nonceOf(R, 1), requester: R, subject: S });
    net.receive(S, H2, { kind: 'ping', nonce: nonceOf(OTHER, 1), requester: OTHER, subject: S });
    expect(net.wire.map(({ to, message }) => ({ to, message }))).toStrictEqual([
      { to: H1, message: { kind: 'ack', nonce: nonceOf(R, 1), requester: R, subject: S, signature: proof(nonceOf(R, 1)) } },
      { to: H2, message: { kind: 'ack', nonce: nonceOf(OTHER, 1), requester: OTHER, subject: S, signature: proof(nonceOf(OTHER, 1), { requester: OTHER }) } },
    ]);
    expect(net.node(S).probes.counters).toStrictEqual({ ...ZERO, signed: 2 });
    expect(net.node(S).changes).toBe(0);
  });

  it('refuses as unasked a ping about another node, signing nothing and spending no budget on it', () => {
    const net = mesh({ real: [S], links: [[H1, S]] });
    for (let n = 1; n <= 2 * PROBES_PER_PEER_PER_SECOND; n++) net.receive(S, H1, { kind: 'ping', nonce: nonceOf(R, n), requester: R, subject: OTHER });
    expect(net.wire).toEqual([]);
    expect(net.node(S).probes.counters).toStrictEqual({ ...ZERO, refused: { unasked: 2 * PROBES_PER_PEER_PER_SECOND } });
    expect(net.node(S).logs[0]!.fields).toMatchObject({ from: H1, reason: 'unasked', detail: expect.stringContaining(OTHER) });
    // H1's budget is whole: its next pings about S are signed, all of them.
    for (let n = 1; n <= PROBES_PER_PEER_PER_SECOND; n++) net.receive(S, H1, { kind: 'ping', nonce: nonceOf(R, 100 + n), requester: R, subject: S });
    expect(net.node(S).probes.counters.signed).toBe(PROBES_PER_PEER_PER_SECOND);
    expect(net.node(S).probes.counters.throttled).toBe(0);
  });

  it('signs nothing before it has a key, and refuses every ping before it has an ID', () => {
    const unkeyed = mesh({ real: [S], links: [[H1, S]], nodes: { [S]: { unkeyed: true } } });
    unkeyed.receive(S, H1, { kind: 'ping', nonce: nonceOf(R, 1), requester: R, subject: S });
    expect(unkeyed.wire).toEqual([]);
    expect(unkeyed.node(S).probes.counters).toStrictEqual(ZERO);
    const anonymous = mesh({ real: [S], links: [[H1, S]], nodes: { [S]: { anonymous: true } } });
    anonymous.receive(S, H1, { kind: 'ping', nonce: nonceOf(R, 1), requester: R, subject: S });
    expect(anonymous.wire).toEqual([]);
    expect(anonymous.node(S).probes.counters).toStrictEqual({ ...ZERO, refused: { unasked: 1 } });
  });
});

describe('indirect probes: the helper relays only the acks it asked for', () => {
  /** H1 real, linked to R, S and H2 (all played by the test), helping R's first probe about S. */
  function helping() {
    const net = mesh({ real: [H1], links: [[R, H1], [H1, S], [H1, H2]] });
    net.receive(H1, R, { kind: 'request', nonce: nonceOf(R, 1), subject: S });
    expect(net.trace()).toEqual(['0 h1→s ping']);
    const ack = (from: string, fields: Partial<Extract<IndirectProbeMessage, { kind: 'ack' }>> = {}) =>
      net.receive(H1, from, { kind: 'ack', nonce: nonceOf(R, 1), requester: R, subject: S, signature: proof(nonceOf(R, 1)), ...fields });
    return { ...net, ack, h1: net.node(H1) };
  }

  it('refuses as unasked an ack from a peer that is not the subject it pinged, or about another subject, and still relays the subject\'s own', () => {
    const net = helping();
    // H2 holds a valid proof (it may have helped too): still not the subject H1 pinged.
    net.ack(H2);
    // S, but about another member.
    net.ack(S, { subject: OTHER, signature: proof(nonceOf(R, 1), { subject: OTHER }) });
    expect(net.h1.probes.counters.refused).toEqual({ unasked: 2 });
    expect(net.trace()).toEqual(['0 h1→s ping']);
    net.ack(S);
    expect(net.trace()).toEqual(['0 h1→s ping', '0 h1→r answer']);
    expect(net.wire.at(-1)!.message).toStrictEqual({ kind: 'answer', nonce: nonceOf(R, 1), subject: S, signature: proof(nonceOf(R, 1)) });
    // Relayed once: the same ack again, and the wait's end, send nothing more.
    net.ack(S);
    net.clock.advance(HELPER_WAIT_MS * 2);
    expect(net.wire).toHaveLength(2);
    expect(net.h1.probes.counters).toStrictEqual({ ...ZERO, relayed: 1, refused: { unasked: 3 } });
    expect(net.h1.logs.map((each) => each.fields.from)).toEqual([H2, S, S]);
  });

  it('refuses as unasked an ack for a request it is not helping: another nonce, another requester', () => {
    const net = helping();
    net.ack(S, { nonce: nonceOf(R, 2), signature: proof(nonceOf(R, 2)) });
    net.ack(S, { requester: H2, signature: proof(nonceOf(R, 1), { requester: H2 }) });
    expect(net.h1.probes.counters.refused).toEqual({ unasked: 2 });
    expect(net.trace()).toEqual(['0 h1→s ping']);
    // Those did not end the wait: without the ack, R gets its answer without proof at HELPER_WAIT_MS.
    net.clock.advance(HELPER_WAIT_MS);
    expect(net.trace()).toEqual(['0 h1→s ping', `${HELPER_WAIT_MS} h1→r answer`]);
    expect(net.wire.at(-1)!.message).toStrictEqual({ kind: 'answer', nonce: nonceOf(R, 1), subject: S, signature: undefined });
  });

  it('passes on what the subject signed without checking it: the requester checks', () => {
    const net = helping();
    const garbage = Buffer.from('not a signature');
    net.ack(S, { signature: garbage });
    expect(net.wire.at(-1)!.message).toStrictEqual({ kind: 'answer', nonce: nonceOf(R, 1), subject: S, signature: garbage });
    expect(net.h1.verified).toEqual([]);
  });
});

describe('indirect probes: budgets', () => {
  it('drops the 11th request from one requester within a second, answering nothing; another requester keeps its own budget; it comes back a second later', () => {
    expect(PROBES_PER_PEER_PER_SECOND).toBe(10);
    const net = mesh({ real: [H1], links: [[R, H1], [H2, H1], [H1, S]] });
    const h1 = net.node(H1);
    const request = (from: string, n: number, subject = S) => net.receive(H1, from, { kind: 'request', nonce: nonceOf(from, n), subject });
    for (let n = 1; n <= PROBES_PER_PEER_PER_SECOND + 1; n++) request(R, n);
    const pings = () => net.wire.filter((each) => each.message.kind === 'ping').map((each) => each.message.nonce.toString('hex'));
    expect(pings()).toHaveLength(PROBES_PER_PEER_PER_SECOND);
    expect(pings()).not.toContain(nonceOf(R, 11).toString('hex'));
    expect(h1.probes.counters).toStrictEqual({ ...ZERO, relayed: PROBES_PER_PEER_PER_SECOND, throttled: 1 });
    expect(h1.changes).toBe(1);
    // Dropped whatever it asks: one about a member H1 cannot reach gets no answer either.
    request(R, 12, OTHER);
    expect(net.wire.filter((each) => each.to === R)).toEqual([]);
    // H2's budget is its own.
    request(H2, 1);
    expect(pings()).toHaveLength(PROBES_PER_PEER_PER_SECOND + 1);
    net.clock.advance(999);
    request(R, 13);
    expect(h1.probes.counters.throttled).toBe(3);
    net.clock.advance(1);
    request(R, 14);
    expect(pings()).toHaveLength(PROBES_PER_PEER_PER_SECOND + 2);
    expect(pings().at(-1)).toBe(nonceOf(R, 14).toString('hex'));
    // The requests taken are answered (without proof, S never acks); those dropped never are.
    net.clock.advance(HELPER_WAIT_MS);
    const answered = net.wire.filter((each) => each.to === R).map((each) => each.message.nonce.toString('hex'));
    expect(answered).toHaveLength(PROBES_PER_PEER_PER_SECOND + 1);
    for (const n of [11, 12, 13]) expect(answered).not.toContain(nonceOf(R, n).toString('hex'));
    expect(answered).toContain(nonceOf(R, 14).toString('hex'));
  });

  it('a subject drops the 11th ping from one helper within a second, signing nothing; another helper\'s are signed; it comes back a second later', () => {
    const net = mesh({ real: [S], links: [[H1, S], [H2, S]] });
    const s = net.node(S);
    const ping = (from: string, n: number) => net.receive(S, from, { kind: 'ping', nonce: nonceOf(R, n), requester: R, subject: S });
    for (let n = 1; n <= PROBES_PER_PEER_PER_SECOND + 1; n++) ping(H1, n);
    expect(net.wire.filter((each) => each.to === H1)).toHaveLength(PROBES_PER_PEER_PER_SECOND);
    expect(s.probes.counters).toStrictEqual({ ...ZERO, signed: PROBES_PER_PEER_PER_SECOND, throttled: 1 });
    expect(s.changes).toBe(1);
    ping(H2, 100);
    expect(net.wire.at(-1)!.to).toBe(H2);
    net.clock.advance(999);
    ping(H1, 12);
    expect(s.probes.counters).toMatchObject({ signed: PROBES_PER_PEER_PER_SECOND + 1, throttled: 2 });
    net.clock.advance(1);
    ping(H1, 13);
    expect(net.wire.at(-1)!.message).toMatchObject({ kind: 'ack', nonce: nonceOf(R, 13) });
    expect(s.probes.counters).toMatchObject({ signed: PROBES_PER_PEER_PER_SECOND + 2, throttled: 2 });
  });
});

describe('indirect probes: a helper whose own link to the subject is quiet', () => {
  it('answers without proof at once instead of pinging: a frozen member is suspected without the helper\'s wait', () => {
    const net = mesh({ real: [H1], links: [[R, H1], [H1, S]], nodes: { [H1]: { silent: [S] } } });
    net.receive(H1, R, { kind: 'request', nonce: nonceOf(R, 1), subject: S });
    expect(net.wire.filter((each) => each.message.kind === 'ping')).toEqual([]);
    expect(net.wire.at(-1)).toMatchObject({ from: H1, to: R, message: { kind: 'answer', signature: undefined } });
    expect(net.node(H1).probes.counters.relayed).toBe(0);
  });
});

describe('indirect probes: budgets per role', () => {
  it('keeps a peer\'s requests and its pings apart: asking about others all second does not stop this node signing for a third node\'s probe', () => {
    // H1 asks S (as helper) about others ten times, then passes a third node's probe on to S as a ping.
    const net = mesh({ real: [S], links: [[H1, S], [S, OTHER]] });
    const s = net.node(S);
    for (let n = 1; n <= PROBES_PER_PEER_PER_SECOND; n++) net.receive(S, H1, { kind: 'request', nonce: nonceOf(H1, n), subject: OTHER });
    net.receive(S, H1, { kind: 'ping', nonce: nonceOf(R, 1), requester: R, subject: S });
    expect(s.probes.counters).toMatchObject({ signed: 1, throttled: 0 });
    expect(net.wire.at(-1)!.message).toMatchObject({ kind: 'ack', nonce: nonceOf(R, 1) });
  });
});

describe('indirect probes: answers that do not count', () => {
  it('refuses as unasked an answer from a peer not asked, about another member, or for a nonce not issued, and is not settled by it', () => {
    const net = requester({ helpers: [H1, H2, H3, H4] });
    const verdict = net.ask(R);
    net.answer(H4, 1, 'proof'); // not asked (H1..H3 were)
    net.answer(H1, 1, 'proof', OTHER); // asked, but about S
    net.answer(H1, 2, 'proof'); // a nonce this node has not issued yet
    net.receive(R, H1, { kind: 'answer', nonce: Buffer.alloc(PROBE_NONCE_BYTES), subject: S, signature: undefined });
    expect(verdict).toEqual([]);
    expect(net.r.probes.counters).toStrictEqual({ ...ZERO, asked: 1, refused: { unasked: 4 } });
    // Refused before any signature is checked.
    expect(net.r.verified).toEqual([]);
    expect(net.r.logs.map((each) => [each.level, each.fields.from, each.fields.reason, each.fields.times])).toEqual([
      ['warn', H4, 'unasked', 1],
      ['warn', H1, 'unasked', 2],
      ['warn', H1, 'unasked', 3],
      ['warn', H1, 'unasked', 4],
    ]);
    expect(net.r.changes).toBe(4);
    // H1's answer about the wrong member did not use up its place: its real answer still counts.
    net.answer(H1, 1, 'proof');
    expect(verdict).toEqual([{ alive: true, by: H1, at: 0 }]);
    expect(net.r.probes.counters).toMatchObject({ reached: 1, answered: 1 });
  });

  it('refuses as unasked a second answer from the same helper, so one helper cannot stand for all', () => {
    const net = requester();
    const verdict = net.ask(R);
    net.answer(H1, 1);
    net.answer(H1, 1);
    net.answer(H1, 1, 'proof');
    expect(verdict, 'H2 and H3 have not answered').toEqual([]);
    expect(net.r.probes.counters).toMatchObject({ answered: 1, refused: { unasked: 2 } });
    net.answer(H2, 1);
    net.answer(H3, 1);
    expect(verdict).toEqual([{ alive: false, by: undefined, at: 0 }]);
  });

  it('counts an answer from a helper asked, to a probe already settled, as late, and does nothing else: not even a proof revives it', () => {
    const net = requester();
    const verdict = net.ask(R);
    net.answer(H1, 1, 'proof');
    expect(verdict).toEqual([{ alive: true, by: H1, at: 0 }]);
    const changesThen = net.r.changes;
    // Slow helpers after the proof; and for the next probe, a proof that comes after the wait ran out.
    net.answer(H2, 1);
    net.answer(H3, 1, 'proof');
    const timedOut = net.ask(R);
    net.clock.advance(INDIRECT_PROBE_MS);
    expect(timedOut).toEqual([{ alive: false, by: undefined, at: INDIRECT_PROBE_MS }]);
    const changesAfterTimeout = net.r.changes;
    net.answer(H1, 2, 'proof');
    expect(verdict).toHaveLength(1);
    expect(timedOut).toHaveLength(1);
    expect(net.r.probes.counters).toStrictEqual({ ...ZERO, asked: 2, reached: 1, answered: 1, late: 3 });
    // A late proof is not even checked: it changes nothing.
    expect(net.r.verified).toHaveLength(1);
    expect(net.r.logs).toEqual([]);
    expect(net.r.changes).toBe(changesAfterTimeout);
    expect(changesAfterTimeout).toBe(changesThen + 1);
    expect(net.wire).toHaveLength(6);
  });

  it('refuses as unasked, not late, an answer to a settled probe from a peer that was not asked, about another member, or a helper late twice', () => {
    const net = requester({ helpers: [H1, H2, H3, H4] });
    net.ask(R);
    net.answer(H1, 1, 'proof');
    // H4 was never asked; H2 was, but about S.
    net.answer(H4, 1);
    net.answer(H4, 1, 'proof');
    net.answer(H2, 1, undefined, OTHER);
    expect(net.r.probes.counters).toMatchObject({ late: 0, refused: { unasked: 3 } });
    // A helper that was asked and is late is counted late, once.
    net.answer(H2, 1);
    net.answer(H2, 1);
    expect(net.r.probes.counters).toMatchObject({ late: 1, refused: { unasked: 4 } });
  });

  it('refuses malformed and oversized bytes by reason without throwing, logging the first ten and then every hundredth', () => {
    const net = requester({ helpers: [H1] });
    const verdict = net.ask(R);
    const nonce = nonceOf(R, 1);
    const answer = encodeIndirectProbe({ kind: 'answer', nonce, subject: S, signature: proof(nonce) });
    const malformed = [
      Buffer.alloc(0),
      answer.subarray(0, 2 + PROBE_NONCE_BYTES), // a head and nothing else
      Buffer.concat([Buffer.from([1]), answer.subarray(1)]), // version 1
      Buffer.concat([Buffer.from([2, 9]), answer.subarray(2)]), // kind 9
      answer.subarray(0, answer.length - 1), // the signature cut short
      Buffer.concat([answer, Buffer.from([0])]), // a byte after the message
      Buffer.concat([answer.subarray(0, 2 + PROBE_NONCE_BYTES), Buffer.from([0, 15]), Buffer.from('not a spiffe id'), Buffer.from([0, 0])]),
      Buffer.concat([answer.subarray(0, 2 + PROBE_NONCE_BYTES), Buffer.from([0, 10]), Buffer.from('spiffe://'), Buffer.from([0xff]), Buffer.from([0, 0])]),
    ];
    // Every one of them carries R's nonce, or its proof: a garbled proof keeps no member alive.
    for (let index = 0; index < 250; index++) expect(() => net.receive(R, H1, malformed[index % malformed.length]!)).not.toThrow();
    for (let index = 0; index < 3; index++) expect(() => net.receive(R, H2, Buffer.alloc(MAX_PROBE_MESSAGE_BYTES + 1 + index))).not.toThrow();
    expect(net.r.probes.counters.refused).toStrictEqual({ malformed: 250, oversized: 3 });
    // Each reason counted on its own: malformed 1..10, 100, 200; oversized 1..3.
    const malformedLogs = net.r.logs.filter((each) => each.fields.reason === 'malformed');
    expect(malformedLogs.map((each) => each.fields.times)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 200]);
    expect(net.r.logs.filter((each) => each.fields.reason === 'oversized').map((each) => each.fields.times)).toEqual([1, 2, 3]);
    expect(net.r.logs.every((each) => each.level === 'warn' && each.message === 'refused an indirect probe message')).toBe(true);
    expect(malformedLogs[0]!.fields).toMatchObject({ from: H1, reason: 'malformed' });
    expect(String(malformedLogs[0]!.fields.detail)).toMatch(/too short/);
    expect(net.r.logs.find((each) => each.fields.reason === 'oversized')!.fields).toMatchObject({ from: H2, detail: expect.stringMatching(/oversized/) });
    expect(net.r.changes).toBe(253);
    // Nothing answered, nothing settled, nothing checked.
    expect(net.wire).toHaveLength(1);
    expect(verdict).toEqual([]);
    expect(net.r.verified).toEqual([]);
    expect(net.r.probes.counters).toMatchObject({ answered: 0, reached: 0, late: 0 });
    // The helper's real answer, after all that, still counts.
    net.receive(R, H1, answer);
    expect(verdict).toEqual([{ alive: true, by: H1, at: 0 }]);
  });
});

describe('indirect probes: stopping', () => {
  it('clears every timer, as requester and as helper: no verdict or answer after stop, nothing taken in, a new ask decided at once', () => {
    const net = mesh({ real: [R, H1], links: [[R, H1], [R, H2], [R, H3], [H1, S]] });
    const first = net.ask(R, S);
    const second = net.ask(R, OTHER);
    net.clock.advance(LATENCY_MS);
    // R waits on two probes; H1 waits on S's ack (and answered about OTHER at once: that answer is on its way).
    expect(net.ownTimers()).toBe(3);
    net.node(R).probes.stop();
    net.node(H1).probes.stop();
    expect(net.ownTimers()).toBe(0);
    const counters = { r: structuredClone(net.node(R).probes.counters), h1: structuredClone(net.node(H1).probes.counters) };
    net.clock.advance(INDIRECT_PROBE_MS * 100);
    expect(first).toEqual([]);
    expect(second).toEqual([]);
    const sent = net.wire.length;
    // An answer with a valid proof, an ack, a request, a ping and garbage: none touches anything once stopped.
    net.receive(R, H2, { kind: 'answer', nonce: nonceOf(R, 1), subject: S, signature: proof(nonceOf(R, 1)) });
    net.receive(H1, S, { kind: 'ack', nonce: nonceOf(R, 1), requester: R, subject: S, signature: proof(nonceOf(R, 1)) });
    net.receive(H1, R, { kind: 'request', nonce: nonceOf(R, 9), subject: S });
    net.receive(R, H1, { kind: 'ping', nonce: nonceOf(H1, 1), requester: H1, subject: R });
    net.receive(R, H2, Buffer.from('garbage'));
    expect(first).toEqual([]);
    expect(net.wire).toHaveLength(sent);
    expect(net.node(R).probes.counters).toStrictEqual(counters.r);
    expect(net.node(H1).probes.counters).toStrictEqual(counters.h1);
    expect(net.node(R).logs).toEqual([]);
    expect(net.node(R).verified).toEqual([]);
    const after = net.ask(R);
    expect(after).toEqual([{ alive: false, by: undefined, at: net.clock.monotonicNow() }]);
    expect(net.wire).toHaveLength(sent);
    expect(net.clock.pendingTimers()).toBe(0);
  });
});

describe('indirect probes: with ML-DSA-65 from liboqs', () => {
  let pqc: Pqc;
  const keys = new Map<string, { publicKey: Uint8Array; secretKey: Uint8Array }>();

  beforeAll(async () => {
    pqc = await loadPqc();
    for (const id of [R, H1, H2, H3, S]) keys.set(id, pqc.mldsa65.keypair());
  });

  it("takes the proof S signed with its ML-DSA-65 key, and refuses as forged one signed by another key or replayed from another probe", () => {
    const signatures: Signatures = {
      sign: (node, message) => Buffer.from(pqc.mldsa65.sign(message, keys.get(node)!.secretKey)),
      // The key S's verified member record binds.
      verify: (member, message, signature) => pqc.mldsa65.verify(message, signature, keys.get(member)!.publicKey),
    };
    // H2 and H3 are played by the test: quiet in the first probe, liars in the second.
    const net = mesh({ real: [R, H1, S], links: [[R, H1], [R, H2], [R, H3], [H1, S]], signatures });
    const first = net.ask(R);
    net.clock.advance(INDIRECT_PROBE_MS);
    expect(first).toEqual([{ alive: true, by: H1, at: 4 * LATENCY_MS }]);
    const relayed = signatureIn(net.wire.find((each) => each.from === H1 && each.message.kind === 'answer')!.message)!;
    expect(relayed).toHaveLength(MLDSA65_SIZES.signature);
    expect(pqc.mldsa65.verify(probeAckSigned(nonceOf(R, 1), R, S), relayed, keys.get(S)!.publicKey)).toBe(true);

    // S goes down: H1 loses its link and answers without proof. H2 signs the exact bytes with its own key; H3 replays S's real signature from the first probe.
    net.cut(H1, S);
    const start = net.clock.monotonicNow();
    const second = net.ask(R);
    const nonce = nonceOf(R, 2);
    net.clock.advance(LATENCY_MS);
    net.send(H2, R, { kind: 'answer', nonce, subject: S, signature: Buffer.from(pqc.mldsa65.sign(probeAckSigned(nonce, R, S), keys.get(H2)!.secretKey)) });
    net.send(H3, R, { kind: 'answer', nonce, subject: S, signature: relayed });
    net.clock.advance(LATENCY_MS);
    expect(second).toEqual([{ alive: false, by: undefined, at: start + 2 * LATENCY_MS }]);
    expect(net.node(R).probes.counters).toStrictEqual({ ...ZERO, asked: 2, reached: 1, answered: 4, late: 0, refused: { forged: 2 } });
    expect(net.node(R).verified.map((each) => each.valid)).toEqual([true, false, false]);
    expect(net.node(R).logs.map((each) => [each.fields.from, each.fields.reason])).toEqual([
      [H2, 'forged'],
      [H3, 'forged'],
    ]);
  });
});
