/**
 * Attacks on the peer-link listener by clients that show no identity (issue 13, hole 2) and on a
 * dialer by a listener that stalls (hole 5), over real sockets: each is bounded, counted, and the
 * node links a legitimate peer afterwards.
 */
import { connect as connectTcp, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RecordReader, type LinkFrame } from '../../../actors/peer-link/frame-codec.js';
import type { ListenerLimits } from '../../../actors/peer-link/listener-limits.js';
import { MAX_CONNECTIONS_PER_PEER, PeerLinks } from '../../../actors/peer-link/peer-links.js';
import { TlsTransport } from '../../../actors/peer-link/tls-transport.js';
import type { NodeCredentials } from '../../../actors/runtime/contracts/transport.js';
import { parseHostPort } from '../../../lib/net/host-port.js';
import { secureContextOptions } from '../../../lib/spiffe/mtls.js';
import { createTrustDomainCa, type TrustDomainCa } from '../../../lib/spiffe/svid-issuer.js';
import { nodeCredentials } from '../../helpers/node-credentials.js';
import { until } from '../../helpers/wait.js';

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const HOUR = 3_600_000;
let ca: TrustDomainCa;

beforeAll(async () => {
  ca = await createTrustDomainCa('mesh.test', { notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + 24 * HOUR) });
});

const started: PeerLinks[] = [];
const sockets: Socket[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
  await Promise.all(started.splice(0).map((links) => links.stop()));
});

function links(options: { limits?: Partial<ListenerLimits>; listen?: boolean; peer?: string; helloTimeoutMs?: number }) {
  const received: unknown[] = [];
  const node = new PeerLinks({
    ...(options.listen ? { listen: { host: '127.0.0.1', port: 0 } } : {}),
    peers: options.peer ? [{ address: parseHostPort(options.peer), spiffeId: B }] : [],
    authorize: [{ pathPrefix: '/node' }],
    onMessage: (_from, _topic, payload) => received.push(payload),
    onState: () => undefined,
    transport: (events) => new TlsTransport(events, options.limits ?? {}),
    timing: { reconnectMinMs: 20, reconnectMaxMs: 200, reportEveryMs: 10, ...(options.helloTimeoutMs !== undefined ? { helloTimeoutMs: options.helloTimeoutMs } : {}) },
  });
  started.push(node);
  return { node, received };
}

async function listener(limits: Partial<ListenerLimits>) {
  const b = links({ limits, listen: true });
  await b.node.updateCredentials(await nodeCredentials(ca, B));
  return { ...b, address: b.node.state().listening! };
}

/** A legitimate peer links to `address` and one message crosses. */
async function legitimatePeerLinks(b: { node: PeerLinks; received: unknown[]; address: string }): Promise<void> {
  const a = links({ peer: b.address });
  await a.node.updateCredentials(await nodeCredentials(ca, A));
  await until('the legitimate link up', () => a.node.state().links[0]?.status === 'up');
  expect(a.node.send(B, 'test', Buffer.from(JSON.stringify({ hello: 'b' })))).toBe(true);
  await until('its message at the listener', () => b.received.length === 1);
  expect(b.received).toEqual([{ hello: 'b' }]);
}

/** A raw TCP connection that never says anything, from a loopback address of the test's choosing. */
function idleTcp(address: string, localAddress = '127.0.0.1'): { socket: Socket; closed: Promise<void> } {
  const { host, port } = parseHostPort(address);
  const socket = connectTcp({ host, port, localAddress });
  socket.on('error', () => undefined);
  sockets.push(socket);
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

/** A client that completes mutual TLS with a valid SVID and then says nothing. */
function mtlsClient(address: string, credentials: NodeCredentials, localAddress: string): { closed: Promise<void> } {
  const { host, port } = parseHostPort(address);
  const tcp = connectTcp({ host, port, localAddress });
  tcp.on('error', () => undefined);
  sockets.push(tcp);
  // The client is the attacker: it does not care whom it reaches.
  const socket = connectTls({ socket: tcp, ...secureContextOptions(credentials), rejectUnauthorized: false });
  socket.on('error', () => undefined);
  sockets.push(socket);
  return { closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

describe('the peer-link listener against clients that show no identity', () => {
  it('drops a client that never finishes its TLS handshake at the deadline, and counts it', async () => {
    const b = await listener({ handshakeDeadlineMs: 300 });
    const idle = idleTcp(b.address);
    await idle.closed;
    await until('the handshake failure counted', () => b.node.state().handshakeFailures === 1);
    await legitimatePeerLinks(b);
  });

  it('sheds connections past the per-address cap at once, and still links a peer from another address', async () => {
    const b = await listener({ maxConnectionsPerAddress: 4 });
    const flood = Array.from({ length: 10 }, () => idleTcp(b.address, '127.0.0.2'));
    let closed = 0;
    for (const idle of flood) void idle.closed.then(() => closed++);
    await until('six shed and closed', () => b.node.state().shed['per-address'] === 6 && closed === 6);
    // The four admitted are still in their handshake (its deadline is the default 10 s), holding the
    // address's whole allowance, and a peer from another address links all the same.
    await legitimatePeerLinks(b);
    expect(closed).toBe(6);
    expect(b.node.state().shed).toEqual({ 'per-address': 6, 'listener-full': 0, 'per-peer': 0 });
  });

  it('sheds connections past the listener\'s cap, and admits again once the stalled ones meet their deadline', async () => {
    const b = await listener({ maxConnections: 3, handshakeDeadlineMs: 500 });
    const stalled = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((local) => idleTcp(b.address, local));
    // The listener has admitted all three before the fourth arrives: each is in TLS, its handshake running.
    await until('three handshakes open', () => stalled.every((idle) => idle.socket.readyState === 'open'));
    const fourth = idleTcp(b.address, '127.0.0.5');
    await fourth.closed;
    await until('the fourth shed', () => b.node.state().shed['listener-full'] === 1);
    await Promise.all(stalled.map((idle) => idle.closed));
    await legitimatePeerLinks(b);
  });

  it('tells a client without a certificate only that it was refused, and destroys its connection even if it never closes', async () => {
    const b = await listener({ refusalLingerMs: 200 });
    const { host, port } = parseHostPort(b.address);
    const client = connectTls({ host, port, rejectUnauthorized: false, checkServerIdentity: () => undefined, minVersion: 'TLSv1.3' });
    client.on('error', () => undefined);
    sockets.push(client);
    const reader = new RecordReader();
    const frames: LinkFrame[] = [];
    client.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
    // The client never ends its side; the node closes the connection anyway.
    client.on('end', () => undefined);
    await new Promise((resolve) => client.once('close', resolve));
    expect(frames).toEqual([{ kind: 'goodbye', reason: 'refused' }]);
    expect(b.node.state().refused).toBe(1);
    expect(b.node.state().lastRefusal).toMatch(/Error/);
    await legitimatePeerLinks(b);
  });
});

describe('the peer-link listener against an authenticated peer', () => {
  it('sheds the peer\'s connections beyond its cap, from any address, and links a legitimate peer after', async () => {
    // Hellos never come; a deadline longer than any loaded run keeps every connection open meanwhile.
    const b = links({ listen: true, helloTimeoutMs: 120_000 });
    await b.node.updateCredentials(await nodeCredentials(ca, B));
    const address = b.node.state().listening!;
    const mallory = await nodeCredentials(ca, 'spiffe://mesh.test/node/mallory');
    const over = 6;
    const locals = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
    const clients = Array.from({ length: MAX_CONNECTIONS_PER_PEER + over }, (_, index) => mtlsClient(address, mallory, locals[index % locals.length]!));
    let shed = 0;
    for (const client of clients) void client.closed.then(() => shed++);
    await until('the connections over the cap shed', () => b.node.state().shed['per-peer'] === over && shed === over);
    expect(b.node.state().shed).toEqual({ 'per-address': 0, 'listener-full': 0, 'per-peer': over });
    await legitimatePeerLinks({ ...b, address });
    expect(shed).toBe(over);
  });
});

describe('a dialer against a listener that stalls', () => {
  it('gives up the dial at its deadline and dials again, instead of waiting forever', async () => {
    // Accepts TCP and never answers the TLS ClientHello.
    const held: Socket[] = [];
    const stall = createTcpServer((socket) => held.push(socket));
    servers.push(stall);
    await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(stall.address() as { port: number }).port}`;
    const a = links({ peer: address, limits: { handshakeDeadlineMs: 300 } });
    await a.node.updateCredentials(await nodeCredentials(ca, A));
    await until('the dial to time out', () => /DialTimeoutError/.test(a.node.state().links[0]?.lastError ?? ''));
    await until('a second dial', () => held.length >= 2);
    expect(a.node.state().links[0]).toMatchObject({ status: 'connecting', connections: 0 });
    for (const socket of held) socket.destroy();
  });
});
