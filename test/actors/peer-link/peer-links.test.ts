/**
 * The peer links in one process over the TLS transport, real TLS 1.3 sockets on loopback: both directions
 * of a link; a dialer that reaches the wrong identity; a corrupted record, a restarted peer and
 * a rotation, each survived without losing a message; a silent connection dropped after the
 * Hello timeout; and a connection that does not outlive its SVID. And, over an in-memory
 * Transport on a virtual clock with a seeded Random, the same redials for the same seed.
 */
import { connect } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PeerLinks, type PeerLinksOptions } from '../../../actors/peer-link/peer-links.js';
import type { LinkTable } from '../../../actors/peer-link/link-table.js';
import { UnexpectedPeerError, type NodeCredentials, type Transport } from '../../../actors/runtime/contracts/transport.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';
import { REAUTH_ANSWER_MS, type LinkLifecycleEvent } from '../../../machines/peer-link-lifecycle.js';
import { seededRandom } from '../../../lib/timing/seeded-random.js';
import { encodeFrame } from '../../../actors/peer-link/frame-codec.js';
import { RECORD_COMPLETION_MS } from '../../../actors/peer-link/link-connection.js';
import { parseHostPort } from '../../../lib/net/host-port.js';
import { createTrustDomainCa, type TrustDomainCa } from '../../../lib/spiffe/svid-issuer.js';
import type { MeshLinksState } from '../../../lib/mesh/links-state.js';
import { nodeCredentials } from '../../helpers/node-credentials.js';
import { until } from '../../helpers/wait.js';

/**
 * For a node on a virtual clock moved by tens of seconds at once: its peer's frames cannot keep up
 * with that, and the failure detector would rightly call it silent. Heartbeats an hour apart are
 * never due within these tests (the detector has its own tests: link-heartbeat.test.ts).
 */
const HOURLY_HEARTBEAT = { intervalMs: 3_600_000 };
const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const hour = 3_600_000;
let ca: TrustDomainCa;

beforeAll(async () => {
  ca = await createTrustDomainCa('mesh.test', { notBefore: new Date(Date.now() - hour), notAfter: new Date(Date.now() + 24 * hour) });
});

function credentials(id: string, lifetimeMs = hour): Promise<NodeCredentials> {
  return nodeCredentials(ca, id, lifetimeMs);
}

interface Harness {
  links: PeerLinks;
  received: Array<{ from: string; n: number }>;
  state: () => MeshLinksState;
}

const started: PeerLinks[] = [];
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') process.stdout.write(`peer-link log:\n${logs.join('\n')}\n`);
  logs.length = 0;
  await Promise.all(started.splice(0).map((links) => links.stop()));
});

/** What the peer links logged, printed when a test fails (timing problems on a loaded machine). */
const logs: string[] = [];

function harness(options: Partial<PeerLinksOptions>): Harness {
  const received: Array<{ from: string; n: number }> = [];
  const links = new PeerLinks({
    peers: [],
    authorize: [{ pathPrefix: '/node' }],
    onLog: (level, message, fields) => logs.push(`${new Date().toISOString()} ${level} ${message} ${JSON.stringify(fields)}`),
    onMessage: (from, _topic, payload) => received.push({ from, n: (payload as { n: number }).n }),
    onState: () => undefined,
    timing: { reconnectMinMs: 20, reconnectMaxMs: 200, reportEveryMs: 10 },
    ...options,
  });
  started.push(links);
  return { links, received, state: () => links.state() };
}

async function listener(id = B, options: Partial<PeerLinksOptions> = {}): Promise<Harness & { address: string }> {
  const node = harness({ listen: { host: '127.0.0.1', port: 0 }, ...options });
  await node.links.updateCredentials(await credentials(id));
  return { ...node, address: node.state().listening! };
}

async function dialer(address: string, expect: string = B, id = A): Promise<Harness> {
  const node = harness({ peers: [{ address: parseHostPort(address), spiffeId: expect }] });
  await node.links.updateCredentials(await credentials(id));
  return node;
}

const send = (from: Harness, to: string, first: number, last: number) => {
  for (let n = first; n <= last; n++) expect(from.links.send(to, 'test', Buffer.from(JSON.stringify({ n })))).toBe(true);
};
/** The transport connection under a node's first link, to write past the link's own framing. */
const activeCarrier = (node: Harness) => [...(node.links as unknown as { table: LinkTable }).table.values()][0]!.active!.carrier;
const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, index) => first + index);

/**
 * A linked to B, B holding its reading back after the first 10 messages, and A sending 20,000 more
 * of 1 KB (20 MB, more than loopback's socket buffers hold): they back up at A.
 */
async function heldBacklog(): Promise<{ a: Harness; b: Harness }> {
  const b = await listener();
  const a = await dialer(b.address);
  send(a, B, 1, 10);
  await until('10 at B', () => b.received.length === 10);
  b.links.holdReading(true);
  const padding = 'x'.repeat(1_000);
  for (let n = 11; n <= 20_010; n++) expect(a.links.send(B, 'test', Buffer.from(JSON.stringify({ n, padding })))).toBe(true);
  return { a, b };
}

describe('peer links over the TLS transport', () => {
  it('carries messages both ways on one link, in order, and acknowledges them', async () => {
    const b = await listener();
    const a = await dialer(b.address);
    send(a, B, 1, 300);
    await until('300 at B', () => b.received.length === 300);
    expect(b.received.map((m) => m.n)).toEqual(range(1, 300));
    expect(new Set(b.received.map((m) => m.from))).toEqual(new Set([A]));
    send(b, A, 1, 20);
    await until('20 at A', () => a.received.length === 20);
    await until('acknowledgements', () => a.state().links[0]!.pending === 0 && b.state().links[0]!.pending === 0);
    expect(a.state().links[0]).toMatchObject({ peer: B, role: 'dialer', status: 'up', connections: 1, sent: 300, delivered: 20 });
    expect(b.state().links[0]).toMatchObject({ peer: A, role: 'acceptor', status: 'up', connections: 1, sent: 20, delivered: 300 });
    // Each side's member record (membership.ts) and routes (mesh-routing.ts: its table, then its route to the other) went on the link's stream, counted apart.
    for (const side of [a, b]) {
      const link = side.state().links[0]!;
      expect(link.controlSent).toBeGreaterThanOrEqual(3);
      expect(link.controlDelivered).toBeGreaterThanOrEqual(3);
    }
    expect(a.state().membership.members).toEqual([expect.objectContaining({ spiffeId: B, state: 'alive', addresses: [b.address], linked: true })]);
    expect(b.state().membership.members).toEqual([expect.objectContaining({ spiffeId: A, state: 'alive', addresses: [], linked: true })]);
    expect(a.links.send('spiffe://mesh.test/node/nobody', 'test', Buffer.from('{}'))).toBe(false);
    expect(a.state().unroutable).toBe(1);
  });

  it("reports what it reads from its peers as the actor's input: the connection and every record", async () => {
    let input = 0;
    const b = await listener(B, { onInput: (count) => (input += count) });
    const a = await dialer(b.address);
    send(a, B, 1, 300);
    await until('300 at B', () => b.received.length === 300);
    // One for the connection, then one per record read: the handshake's, each message's (a frame
    // per record), the member records' and the routes'.
    expect(input).toBeGreaterThanOrEqual(1 + 300);
  });

  it('refuses to link when the peer proves another identity than the one dialed', async () => {
    const b = await listener();
    const a = await dialer(b.address, 'spiffe://mesh.test/node/c');
    send(a, 'spiffe://mesh.test/node/c', 1, 3);
    await until('the failure', () => a.state().links[0]!.lastError !== undefined);
    expect(a.state().links[0]!.lastError).toContain(new UnexpectedPeerError('x', 'y').name);
    expect(a.state().links[0]!.lastError).toContain(`proved ${B}`);
    expect(b.received).toEqual([]);
  });

  it('drops a connection that sends a corrupt record, then resumes the link on a new one without losing a message', async () => {
    const b = await listener();
    const a = await dialer(b.address);
    send(a, B, 1, 100);
    await until('100 at B', () => b.received.length === 100);
    activeCarrier(a).write(Buffer.from([0, 0, 0, 3, 0xff, 0xff, 0xff]));
    send(a, B, 101, 200);
    await until('200 at B', () => b.received.length >= 200);
    expect(b.received.map((m) => m.n)).toEqual(range(1, 200));
    await until('reconnected', () => a.state().links[0]!.connections === 2);
    expect(b.state().links[0]!.connections).toBe(2);
  });

  it('resends what a restarted peer never got: its new incarnation starts the stream over', async () => {
    const b1 = await listener();
    const a = await dialer(b1.address);
    send(a, B, 1, 50);
    await until('50 at B', () => b1.received.length === 50);
    await b1.links.stop();
    send(a, B, 51, 100);
    const port = parseHostPort(b1.address).port;
    const b2 = harness({ listen: { host: '127.0.0.1', port } });
    await b2.links.updateCredentials(await credentials(B));
    await until('51..100 at the new B', () => b2.received.at(-1)?.n === 100);
    const got = b2.received.map((m) => m.n);
    // At least once across a restart: everything after what the old B acknowledged, in order.
    expect(got.slice(got.indexOf(51))).toEqual(range(51, 100));
  });

  it('re-authenticates with rotated SVIDs on a new connection while messages flow: nothing lost or repeated', async () => {
    const b = await listener();
    const a = await dialer(b.address);
    let n = 0;
    // About 1,000 messages a second: steady traffic that a loaded machine still keeps up with.
    const pump = setInterval(() => {
      send(a, B, n + 1, n + 5);
      n += 5;
    }, 5);
    await until('traffic', () => b.received.length > 200);
    await a.links.updateCredentials(await credentials(A));
    await until('the dialer to re-authenticate', () => a.state().links[0]!.reauths === 1, 20_000);
    await b.links.updateCredentials(await credentials(B));
    await until('the acceptor to ask for, and get, re-authentication', () => a.state().links[0]!.reauths === 2, 20_000);
    clearInterval(pump);
    await until('everything at B', () => b.received.length === n, 20_000);
    expect(b.received.map((m) => m.n)).toEqual(range(1, n));
    expect(a.state().links[0]).toMatchObject({ connections: 3, reauths: 2, dropped: 0 });
    expect(b.state().links[0]!.connections).toBe(3);
  }, 60_000);

  it('carries every frame in a post-quantum session that rekeys under traffic, and drops a connection whose sealed records are forged', async () => {
    const b = await listener(B, { postQuantum: { suites: ['x-wing'], rekeyAfterFrames: 50 } });
    const a = harness({ peers: [{ address: parseHostPort(b.address), spiffeId: B }], postQuantum: { suites: ['mlkem1024-x25519', 'x-wing'], rekeyAfterFrames: 50 } });
    await a.links.updateCredentials(await credentials(A));
    await until('the link (post-quantum session included)', () => a.state().links[0]?.status === 'up');
    // Steady traffic until three rekeys (one at a time) have interleaved with it.
    let sent = 0;
    while ((a.state().links[0]?.epoch ?? 0) < 3 && sent < 20_000) {
      send(a, B, sent + 1, sent + 20);
      sent += 20;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await until('everything at B', () => b.received.length === sent);
    expect(b.received.map((m) => m.n)).toEqual(range(1, sent));
    // A's preference (ML-KEM-1024) is not accepted by B: they agree on X-Wing.
    expect(a.state().links[0]).toMatchObject({ suite: 'x-wing' });
    expect(a.state().pq.handshakes).toBe(1);
    expect(a.state().pq.rekeys).toBeGreaterThanOrEqual(3);
    // A forged session record: the receiving session fails, the connection goes, the link resumes on a new one.
    activeCarrier(a).write(encodeFrame({ kind: 'pq', bytes: Buffer.alloc(64, 7) }));
    send(a, B, sent + 1, sent + 100);
    await until('the rest at B', () => b.received.length >= sent + 100);
    expect(b.received.map((m) => m.n)).toEqual(range(1, sent + 100));
    await until('the failure counted', () => (b.state().pq.failures['malformed'] ?? 0) === 1);
    expect(a.state().pq.handshakes).toBe(2);
  });

  it('closes a connection that never says Hello', async () => {
    const b = await listener(B, { timing: { helloTimeoutMs: 200, reportEveryMs: 10 } });
    const creds = await credentials(A);
    const { host, port } = parseHostPort(b.address);
    const socket = connect({
      host,
      port,
      key: Buffer.from(`-----BEGIN PRIVATE KEY-----\n${Buffer.from(creds.privateKey).toString('base64')}\n-----END PRIVATE KEY-----\n`),
      cert: creds.chain[0]!.toString('pem'),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    socket.on('error', () => undefined);
    const openedAt = Date.now();
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(150);
    expect(b.state().links).toEqual([]);
  });

  it('does not let a connection outlive the SVID it was authenticated with', async () => {
    const b = await listener();
    const a = harness({ peers: [{ address: parseHostPort(b.address), spiffeId: B }] });
    await a.links.updateCredentials(await credentials(A, 2_500));
    await until('the link', () => a.state().links[0]?.status === 'up');
    // Re-authentication with the same, expiring SVID cannot help: at expiry the link is cut, and B refuses the expired SVID after.
    await until('the link to drop at expiry', () => a.state().links[0]?.status !== 'up', 6_000);
    await until('B to refuse the expired SVID', () => (b.state().lastRefusal ?? '').includes('ExpiredError'), 6_000);
    // Held, not delivered: one more pending than before (the links' own messages may be pending too).
    const pendingBefore = a.state().links[0]!.pending;
    send(a, B, 1, 1);
    expect(a.state().links[0]!.pending).toBe(pendingBefore + 1);
  });

  it('ends a connection whose peer chained to a CA a bundle update dropped, and links again once the peer has an SVID of the new CA', async () => {
    const b = await listener();
    const a = await dialer(b.address);
    send(a, B, 1, 5);
    await until('5 at B', () => b.received.length === 5);
    // The trust domain moves to a new CA: B's bundle holds only the new root, and B's SVID comes from it.
    const next = await createTrustDomainCa('mesh.test', { notBefore: new Date(Date.now() - hour), notAfter: new Date(Date.now() + 24 * hour) });
    await b.links.updateCredentials(await nodeCredentials(next, B));
    await until('B to end the connection anchored at the retired CA', () => b.state().links[0]?.status === 'down');
    expect(b.state().links[0]!.lastError).toContain('TrustAnchorRemovedError');
    // A's SVID still chains to the retired CA: its redials are refused until it has one of the new CA.
    await until('A to see its redial refused', () => a.state().links[0]?.status === 'connecting' && a.state().links[0]!.lastError !== undefined);
    send(a, B, 6, 10);
    await a.links.updateCredentials(await nodeCredentials(next, A));
    await until('10 at B', () => b.received.length === 10);
    expect(b.received.map((m) => m.n)).toEqual(range(1, 10));
  });

  it('ends the connection of a dialer that ignores the request to re-authenticate, at the deadline, and the link resumes on a new one', async () => {
    const clock = new VirtualClock({ epochMs: Date.now() });
    const b = await listener(B, { clock, heartbeat: HOURLY_HEARTBEAT });
    const a = await dialer(b.address);
    // A modified dialer: the requests to re-authenticate never reach its lifecycle.
    const patched = a.links as unknown as { signal(link: unknown, event: LinkLifecycleEvent): void };
    const signal = patched.signal.bind(a.links);
    patched.signal = (link, event) => {
      if (event.type !== 'reauth') signal(link, event);
    };
    send(a, B, 1, 5);
    await until('5 at B', () => b.received.length === 5);
    await b.links.updateCredentials(await credentials(B));
    clock.advance(REAUTH_ANSWER_MS - 1);
    expect(b.state().links[0]).toMatchObject({ status: 'up', connections: 1 });
    clock.advance(1);
    await until('B to end the unanswered connection', () => (b.state().links[0]?.lastError ?? '').includes('ReauthNotAnsweredError'));
    send(a, B, 6, 10);
    await until('10 at B, over a new connection', () => b.received.length === 10 && b.state().links[0]!.connections === 2);
    expect(b.received.map((m) => m.n)).toEqual(range(1, 10));
  });

  it('refuses a rotated SVID that TLS will not use (its key is another certificate\'s), and its links go on with the one they have', async () => {
    const b = await listener();
    const a = await dialer(b.address);
    send(a, B, 1, 5);
    await until('5 at B', () => b.received.length === 5);
    const [one, another] = [await credentials(A), await credentials(A)];
    const mismatched = { ...one, privateKey: another.privateKey };
    await expect(a.links.updateCredentials(mismatched)).rejects.toThrow();
    // The connection lost: the redial must use the SVID still in use, not throw with the refused one.
    activeCarrier(a).destroy();
    await until('A to link again', () => a.state().links[0]!.connections === 2 && a.state().links[0]!.status === 'up');
    send(a, B, 6, 10);
    await until('10 at B', () => b.received.length === 10);
    expect(b.received.map((m) => m.n)).toEqual(range(1, 10));
  });

  it("stops reading while the node holds the peers' messages back, so they wait at the sender, and delivers them in order once it lets go", async () => {
    const { a, b } = await heldBacklog();
    expect(b.state()).toMatchObject({ readingHeld: true, readHolds: 1 });
    // Counted in turns of the event loop, not time: B reads a chunk per turn when it reads at all,
    // so 500 turns would have brought it thousands of these messages.
    for (let turn = 0; turn < 500; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(b.received.length).toBe(10);
    // The sender writes only as its connection drains: its socket holds about its buffer mark, and
    // the rest waits unwritten in the link's stream (where it is held until acknowledged anyway).
    const senderSocket = (activeCarrier(a) as unknown as { socket: { writableLength: number } }).socket;
    expect(senderSocket.writableLength).toBeGreaterThan(0);
    expect(senderSocket.writableLength).toBeLessThan(256 * 1024);
    expect(a.state().links[0]!.unwritten).toBeGreaterThan(10_000);
    b.links.holdReading(false);
    expect(b.state().readingHeld).toBe(false);
    await until('all 20,010 at B', () => b.received.length === 20_010, 60_000);
    expect(b.received.map((m) => m.n)).toEqual(range(1, 20_010));
    expect(b.state()).toMatchObject({ readHolds: 1, links: [{ connections: 1 }] });
  });
});

describe('a backlog resent after a reconnection', () => {
  it('is written as the new connection drains, not sealed into its socket at once, and arrives complete and in order', async () => {
    const { a, b } = await heldBacklog();
    await until('a backlog at A', () => a.state().links[0]!.unwritten > 10_000);
    // The connection breaks with ~20 MB unacknowledged: A redials and resends from what B says it has.
    activeCarrier(b).destroy();
    await until('A relinked', () => a.state().links[0]!.connections === 2 && a.state().links[0]!.status === 'up', 30_000);
    await until('A resending', () => a.state().links[0]!.retransmitted > 0);
    // The new connection took what its buffer holds and the rest waits: without the pacing, the
    // whole window would be sealed into the socket at bind (unwritten 0, megabytes in the socket).
    const senderSocket = (activeCarrier(a) as unknown as { socket: { writableLength: number } }).socket;
    expect(senderSocket.writableLength).toBeLessThan(256 * 1024);
    expect(a.state().links[0]!.unwritten).toBeGreaterThan(10_000);
    // Sent during the resend: queued behind it, not ahead.
    send(a, B, 20_011, 20_020);
    b.links.holdReading(false);
    await until('all 20,020 at B', () => b.received.length === 20_020, 60_000);
    expect(b.received.map((m) => m.n)).toEqual(range(1, 20_020));
    await until('A has nothing left to write', () => a.state().links[0]!.unwritten === 0 && a.state().links[0]!.pending === 0);
  });
});

describe('a record begun and never finished', () => {
  /** B's side of its only link: the connection's reader, to see how much of a record it holds. */
  const heldBytes = (node: Harness) => (([...(node.links as unknown as { table: LinkTable }).table.values()][0]!.active as unknown as { reader: { pendingBytes: number } } | undefined)?.reader.pendingBytes ?? 0);
  /** What A writes from now on is kept here instead of sent: the test sends it, cut where it likes. */
  function interceptWrites(node: Harness): Buffer[] {
    const carrier = activeCarrier(node);
    const written: Buffer[] = [];
    carrier.write = (...chunks: Uint8Array[]) => void written.push(Buffer.concat(chunks));
    return written;
  }
  /** A linked to B, B's timers on a virtual clock, one message through. */
  async function linkedWithTimersOnVirtualClock() {
    const clock = new VirtualClock({ epochMs: Date.now() });
    const b = await listener(B, { clock, heartbeat: HOURLY_HEARTBEAT });
    const a = await dialer(b.address);
    send(a, B, 1, 1);
    await until('1 at B', () => b.received.length === 1);
    return { clock, a, b };
  }
  const writeRaw = (node: Harness, bytes: Buffer) => (activeCarrier(node) as unknown as { socket: { write(bytes: Buffer): void } }).socket.write(bytes);

  it('closes the connection once a record has stayed incomplete for the deadline, counted from the last record completed', async () => {
    const { clock, a, b } = await linkedWithTimersOnVirtualClock();
    const written = interceptWrites(a);
    send(a, B, 2, 3);
    await until('A to seal two records', () => written.length >= 2);
    const [second, third] = [written[0]!, written[1]!];
    // The second record whole and half the third: B delivers one and holds the rest.
    writeRaw(a, Buffer.concat([second, third.subarray(0, 10)]));
    await until('B to hold half a record', () => b.received.length === 2 && heldBytes(b) === 10);
    clock.advance(RECORD_COMPLETION_MS - 1);
    expect(b.state().links[0]).toMatchObject({ status: 'up', connections: 1 });
    // The third completes just in time, and a fourth begins: its own deadline starts now.
    const fourth = encodeFrame({ kind: 'pq', bytes: Buffer.alloc(64, 7) });
    writeRaw(a, Buffer.concat([third.subarray(10), fourth.subarray(0, 8)]));
    await until('B to deliver the third and hold part of a fourth', () => b.received.length === 3 && heldBytes(b) === 8);
    clock.advance(RECORD_COMPLETION_MS - 1);
    expect(b.state().links[0]).toMatchObject({ status: 'up', connections: 1 });
    clock.advance(1);
    await until('B to close the stalled connection', () => (b.state().links[0]?.lastError ?? '').includes('was not complete within'));
    expect(b.received.map((m) => m.n)).toEqual([1, 2, 3]);
  });

  it('does not count the time the node itself held reading back', async () => {
    const { clock, a, b } = await linkedWithTimersOnVirtualClock();
    const written = interceptWrites(a);
    send(a, B, 2, 2);
    await until('A to seal a record', () => written.length >= 1);
    writeRaw(a, written[0]!.subarray(0, 10));
    await until('B to hold part of a record', () => heldBytes(b) === 10);
    b.links.holdReading(true);
    clock.advance(3 * RECORD_COMPLETION_MS);
    expect(b.state().links[0]).toMatchObject({ status: 'up', connections: 1 });
    b.links.holdReading(false);
    clock.advance(RECORD_COMPLETION_MS - 1);
    expect(b.state().links[0]).toMatchObject({ status: 'up', connections: 1 });
    writeRaw(a, written[0]!.subarray(10));
    await until('the record completed after all', () => b.received.length === 2);
    expect(heldBytes(b)).toBe(0);
  });
});

describe('peer links on a virtual clock', () => {
  /**
   * A node dialing a peer behind a partition for 30 virtual seconds, over an in-memory Transport
   * that refuses every dial: the trace is each dial's virtual time and each state report.
   */
  async function trace(seed: number): Promise<string[]> {
    const clock = new VirtualClock({ epochMs: Date.now() });
    const start = clock.now();
    const lines: string[] = [];
    const unreachable: Transport = {
      useCredentials: () => undefined,
      listen: () => Promise.reject(new Error('this network does not listen')),
      dial: () => {
        lines.push(`${clock.now() - start} dial`);
        return Promise.reject(new Error('partitioned'));
      },
      close: () => Promise.resolve(),
    };
    const links = new PeerLinks({
      peers: [{ address: parseHostPort('10.0.0.2:7000'), spiffeId: B }],
      authorize: [{ pathPrefix: '/node' }],
      onMessage: () => undefined,
      onState: (state) => lines.push(`${clock.now() - start} ${state.links.map((link) => `${link.status} ${link.lastError ?? ''}`).join()}`),
      transport: () => unreachable,
      clock,
      random: seededRandom(seed),
      timing: { reconnectMinMs: 100, reconnectMaxMs: 5_000 },
    });
    started.push(links);
    await links.updateCredentials(await credentials(A));
    for (let step = 0; step < 3_000; step++) {
      clock.advance(10);
      // The refused dial settles in a microtask: let it, before time moves on.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return lines;
  }

  it('redials with the same jittered backoff for the same seed, and another for another seed', async () => {
    const first = await trace(1);
    const dials = first.filter((line) => line.endsWith(' dial'));
    expect(dials.length).toBeGreaterThan(8);
    expect(first).toContain('100 connecting Error: partitioned');
    expect(await trace(1)).toEqual(first);
    expect(await trace(2)).not.toEqual(first);
  });
});
