/**
 * Post-quantum sessions end to end over real TLS 1.3 sockets on loopback, each side taking the
 * exporter from its own socket: messages both ways; rekeying under continuous traffic with
 * nothing lost, duplicated or reordered; a time-based rekey; a session relayed through a second
 * TLS connection refused; a silent peer timing out; and the metric hooks' counts.
 */
import { createServer, connect, type TLSSocket, type Server } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HandshakeError } from '../../../lib/crypto/handshake-error.js';
import type { Pqc } from '../../../lib/crypto/liboqs.js';
import { TLS_EXPORTER_BYTES, TLS_EXPORTER_LABEL } from '../../../lib/crypto/transcript.js';
import type { FrameError } from '../../../lib/crypto/session-channel.js';
import { PqSession, type PqSessionOptions } from '../../../actors/peer-link/pq-session.js';
import { encodeFrame, RecordReader } from '../../../actors/peer-link/frame-codec.js';
import { pair, peerView, type Pair } from '../../helpers/pq-identities.js';
import { until as waitUntil } from '../../helpers/wait.js';
import { realClock, type Clock } from '../../../lib/timing/clock.js';

/** Frames come fast here: poll every 5 ms, 20 s at most unless told. */
const until = (what: string, condition: () => boolean, timeoutMs = 20_000) => waitUntil(what, condition, timeoutMs, 5);

let p: Pair;
beforeAll(async () => {
  p = await pair();
});

const servers: Server[] = [];
const sockets: TLSSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
});

/** A TLS 1.3 connection on loopback, its server presenting a throwaway SVID (the SPIFFE checks are the peer link's, tested elsewhere). */
async function connectedPair(): Promise<{ client: TLSSocket; server: TLSSocket }> {
  const { issueX509Svid, createTrustDomainCa } = await import('../../../lib/spiffe/svid-issuer.js');
  const { parseSpiffeId } = await import('../../../lib/spiffe/spiffe-id.js');
  const { webcrypto } = await import('node:crypto');
  const window = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3_600_000) };
  const ca = await createTrustDomainCa('mesh.test', window);
  const svid = await issueX509Svid(ca, parseSpiffeId('spiffe://mesh.test/node/x'), window);
  const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(await webcrypto.subtle.exportKey('pkcs8', svid.keys.privateKey)).toString('base64')}\n-----END PRIVATE KEY-----\n`;
  const cert = svid.certificate.toString('pem');
  return new Promise((resolve) => {
    const server = createServer({ key, cert, minVersion: 'TLSv1.3' }, (accepted) => {
      sockets.push(accepted);
      resolve({ client, server: accepted });
    });
    servers.push(server);
    let client: TLSSocket;
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      client = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, checkServerIdentity: () => undefined });
      sockets.push(client);
    });
  });
}

const exporterOf = (socket: TLSSocket) => socket.exportKeyingMaterial(TLS_EXPORTER_BYTES, TLS_EXPORTER_LABEL, Buffer.alloc(0));

interface End {
  session: PqSession;
  received: number[];
  failures: Error[];
}

function end(role: 'initiator' | 'responder', socket: TLSSocket, pq: Pair, overrides: Partial<PqSessionOptions> = {}): End {
  const received: number[] = [];
  const failures: Error[] = [];
  const reader = new RecordReader();
  const self = role === 'initiator' ? pq.a : pq.b;
  const other = role === 'initiator' ? pq.b : pq.a;
  const session = new PqSession({
    role,
    pqc: pq.pqc as Pqc,
    local: self.local,
    peer: peerView(other),
    exporter: exporterOf(socket),
    suites: role === 'initiator' ? ['x-wing'] : ['x-wing', 'mlkem1024-x25519'],
    // Records travel as link `data` frames here: the codec only frames them.
    send: (record) => socket.write(encodeFrame({ kind: 'data', seq: 0, topic: 'pq', payload: Buffer.concat(record) })),
    onMessage: (payload) => received.push(Number(payload.toString())),
    onFailed: (error) => failures.push(error),
    ...overrides,
  });
  socket.on('data', (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) if (frame.kind === 'data') session.receive(frame.payload);
  });
  return { session, received, failures };
}

describe('post-quantum session over TLS', () => {
  it('carries messages both ways once established, sending what was queued during the handshake first', async () => {
    const { client, server } = await connectedPair();
    const i = end('initiator', client, p);
    const r = end('responder', server, p);
    r.session.start();
    i.session.start();
    i.session.send(Buffer.from('1'));
    await until('established', () => i.session.state === 'established' && r.session.state === 'established');
    i.session.send(Buffer.from('2'));
    r.session.send(Buffer.from('3'));
    await until('messages', () => r.received.length === 2 && i.received.length === 1);
    expect(r.received).toEqual([1, 2]);
    expect(i.received).toEqual([3]);
    expect(i.session.suite).toBe('x-wing');
  });

  it('rekeys under continuous traffic in both directions: nothing lost, duplicated or reordered', async () => {
    const { client, server } = await connectedPair();
    const rekeys: number[] = [];
    const i = end('initiator', client, p, { rekeyAfterFrames: 100, metrics: { rekey: (info) => rekeys.push(info.epoch) } });
    const r = end('responder', server, p, { rekeyAfterFrames: 150 });
    r.session.start();
    i.session.start();
    const total = 3_000;
    for (let n = 1; n <= total; n++) {
      i.session.send(Buffer.from(String(n)));
      r.session.send(Buffer.from(String(n)));
      // Continuous, not one burst: the rekey exchanges interleave with the traffic.
      if (n % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await until('everything', () => r.received.length === total && i.received.length === total, 60_000);
    const expected = Array.from({ length: total }, (_, index) => index + 1);
    expect(r.received).toEqual(expected);
    expect(i.received).toEqual(expected);
    expect(i.failures).toEqual([]);
    expect(r.failures).toEqual([]);
    expect(i.session.rekeys).toBeGreaterThanOrEqual(10);
    expect(r.session.rekeys).toBe(i.session.rekeys);
    expect(rekeys).toEqual(Array.from({ length: rekeys.length }, (_, index) => index + 1));
  }, 90_000);

  it('rekeys an idle session on time', async () => {
    const { client, server } = await connectedPair();
    const i = end('initiator', client, p, { rekeyAfterMs: 200 });
    const r = end('responder', server, p, { rekeyAfterMs: 200 });
    r.session.start();
    i.session.start();
    await until('two timed rekeys', () => i.session.rekeys >= 2 && r.session.rekeys >= 2, 10_000);
    i.session.send(Buffer.from('7'));
    await until('a message under the new keys', () => r.received.length === 1);
    expect(i.session.epoch).toBeGreaterThanOrEqual(2);
    i.session.close();
    r.session.close();
  });

  it('rekeys an idle session on time when its timers fire early, as Node\'s do after a busy turn', async () => {
    // Timers counted from a loop time 20 ms behind the wall clock the epoch's start is read from.
    const early: Clock = { ...realClock, setTimeout: (callback, ms) => realClock.setTimeout(callback, Math.max(0, ms - 20)) };
    const { client, server } = await connectedPair();
    const i = end('initiator', client, p, { rekeyAfterMs: 200, clock: early });
    const r = end('responder', server, p, { rekeyAfterMs: 200, clock: early });
    r.session.start();
    i.session.start();
    await until('two timed rekeys', () => i.session.rekeys >= 2 && r.session.rekeys >= 2, 10_000);
    expect(i.failures).toEqual([]);
    i.session.close();
    r.session.close();
  });

  it('refuses a session relayed from one TLS connection onto another', async () => {
    const first = await connectedPair();
    const second = await connectedPair();
    // The initiator speaks on the first connection; a relay forwards its bytes to a responder on the second.
    const failures: string[] = [];
    const i = end('initiator', first.client, p, { onFailed: (error) => failures.push((error as HandshakeError).reason) });
    const r = end('responder', second.server, p, { onFailed: (error) => failures.push((error as HandshakeError).reason) });
    first.server.on('data', (chunk: Buffer) => second.client.write(chunk));
    second.client.on('data', (chunk: Buffer) => first.server.write(chunk));
    r.session.start();
    i.session.start();
    await until('the refusal', () => failures.length > 0);
    expect(failures[0]).toBe('channel-binding');
    expect(r.session.state).toBe('failed');
  });

  it('fails a handshake the peer never answers, with reason timeout', async () => {
    const { client } = await connectedPair();
    const reasons: string[] = [];
    const i = end('initiator', client, p, { handshakeTimeoutMs: 200, metrics: { failure: (info) => reasons.push(info.reason) } });
    i.session.start();
    await until('the timeout', () => i.session.state === 'failed');
    expect(reasons).toEqual(['timeout']);
    expect(i.session.send(Buffer.from('x'))).toBe(false);
  });

  it('fails, without throwing, a session whose peer ignores its rekey offer, at the answer deadline', async () => {
    const { client, server } = await connectedPair();
    const reasons: string[] = [];
    const i = end('initiator', client, p, { rekeyAfterFrames: 5, rekeyAnswerDeadlineMs: 300, metrics: { failure: (info) => reasons.push(info.reason) } });
    const r = end('responder', server, p);
    r.session.start();
    i.session.start();
    await until('established', () => i.session.state === 'established' && r.session.state === 'established');
    // The peer goes deaf once established: it keeps the connection but answers nothing, rekeys included.
    server.removeAllListeners('data');
    for (let n = 1; n <= 10; n++) expect(i.session.send(Buffer.from(String(n)))).toBe(true);
    await until('the rekey deadline', () => i.session.state === 'failed');
    expect(reasons).toEqual(['timeout']);
    expect(i.failures.map((error) => error.message)).toEqual(['timeout: the peer did not answer the rekey offer within 300 ms']);
    expect(i.session.send(Buffer.from('11'))).toBe(false);
  });

  it('fails, without throwing, a responder whose rekey request the initiator ignores', async () => {
    const { client, server } = await connectedPair();
    const i = end('initiator', client, p);
    const r = end('responder', server, p, { rekeyAfterFrames: 3, rekeyAnswerDeadlineMs: 300 });
    r.session.start();
    i.session.start();
    await until('established', () => i.session.state === 'established' && r.session.state === 'established');
    client.removeAllListeners('data');
    for (let n = 1; n <= 5; n++) r.session.send(Buffer.from(String(n)));
    await until('the request deadline', () => r.session.state === 'failed');
    expect(r.failures.map((error) => error.message)).toEqual(['timeout: the peer did not answer the rekey request within 300 ms']);
  });

  it('fails, without throwing, a session whose frame counter reaches its cap before a rekey', async () => {
    const { client, server } = await connectedPair();
    const i = end('initiator', client, p, { maxFramesPerKey: 20, rekeyAfterFrames: 1_000 });
    const r = end('responder', server, p);
    r.session.start();
    i.session.start();
    await until('established', () => i.session.state === 'established');
    const sent = Array.from({ length: 25 }, (_, index) => i.session.send(Buffer.from(String(index + 1))));
    expect(sent.filter(Boolean).length).toBe(20);
    expect(i.session.state).toBe('failed');
    expect(i.failures).toHaveLength(1);
    expect((i.failures[0] as FrameError).reason).toBe('key-exhausted');
    await until('the 20 sealed frames at the peer', () => r.received.length === 20);
  });
});
