/**
 * The pqc suite: the post-quantum code in lib/crypto and actors/peer-link/pq-session.ts.
 * - liboqs (WASM) per operation: ML-KEM-768 key generation, encapsulation and decapsulation;
 *   ML-DSA-65 signing and verification, through lib/crypto/liboqs.ts's wrappers (with their size
 *   checks), as the handshake calls them.
 * - `handshake_cpu_ms_*`: each side's share of one authenticated hybrid handshake (suite x-wing):
 *   the four synchronous steps of lib/crypto/pq-handshake.ts called in turn on one thread, each
 *   side's steps timed with performance.now() (wall time of synchronous code on one thread: its CPU
 *   time unless the OS preempts it). process.cpuUsage() (user + system, whole process) is read
 *   around the same steps and reported beside it as a cross-check.
 * - `handshake_loopback_ms`: two PqSessions over a real mutual TLS 1.3 connection on 127.0.0.1
 *   (SVIDs, as the peer link dials), records carried as link `data` frames (frame-codec.ts), from
 *   start() to both sides established. A fresh TLS connection per handshake; its TLS handshake is
 *   not timed.
 * - `aead_mb_per_s_*`, `aead_ratio_64k`: SessionChannel seal (sender) + open (receiver) on one
 *   thread, against bare node:crypto AES-256-GCM seal + open of the same payloads (pqc-aead.ts).
 * - `frame_latency_us`: one small message through an established PqSession over that TLS
 *   connection, send() → the peer's onMessage, against the same payload written as a bare link
 *   frame on the same connection.
 * Both ends of every connection live in this process (one event loop): what is measured is the
 * session code and the TLS stack, not process scheduling.
 */
import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { loadavg } from 'node:os';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { PqSession } from '../../actors/peer-link/pq-session.js';
import { encodeFrame, RecordReader } from '../../actors/peer-link/frame-codec.js';
import { loadPqc, type Pqc } from '../../lib/crypto/liboqs.js';
import { encodeNodeRecord } from '../../lib/crypto/node-record.js';
import { completeResponder, finishInitiator, respond, startInitiator, type HandshakeContext, type LocalIdentity, type PeerIdentity } from '../../lib/crypto/pq-handshake.js';
import { DEFAULT_SUITES } from '../../lib/crypto/pq-suites.js';
import { TLS_EXPORTER_BYTES, TLS_EXPORTER_LABEL } from '../../lib/crypto/transcript.js';
import { secureContextOptions, type SvidCredentials } from '../../lib/spiffe/mtls.js';
import { parseSpiffeId } from '../../lib/spiffe/spiffe-id.js';
import { createTrustDomainCa, issueX509Svid, type TrustDomainCa } from '../../lib/spiffe/svid-issuer.js';
import { figure, progress, round, summarize, type Figure } from '../stats.js';
import type { Suite } from './suite.js';
import { raceTimeout } from '../../lib/timing/race-timeout.js';
import { aeadThroughput } from './pqc-aead.js';
import { realClock } from '../../lib/timing/clock.js';

const SUITE = 'pqc';
const HOUR = 3_600_000;
const TRUST_DOMAIN = 'bench.test';
const HANDSHAKE_TARGET_MS = 1.5;
const LATENCY_PAYLOAD_BYTES = 64;
const LATENCY_BLOCK = 100;
/** A step that has not finished by then has hung: the run fails rather than waits forever. */
const WAIT_LIMIT_MS = 15_000;

interface Counts {
  ops: number;
  opsWarmup: number;
  handshakes: number;
  handshakesWarmup: number;
  loopback: number;
  loopbackWarmup: number;
  aeadRounds: number;
  aeadWarmupRounds: number;
  latency: number;
  latencyWarmup: number;
}
const FULL: Counts = { ops: 5_000, opsWarmup: 200, handshakes: 2_000, handshakesWarmup: 100, loopback: 500, loopbackWarmup: 20, aeadRounds: 800, aeadWarmupRounds: 40, latency: 10_000, latencyWarmup: 1_000 };
const QUICK: Counts = { ops: 300, opsWarmup: 30, handshakes: 150, handshakesWarmup: 15, loopback: 40, loopbackWarmup: 5, aeadRounds: 96, aeadWarmupRounds: 16, latency: 1_000, latencyWarmup: 100 };

export const pqcSuite: Suite = {
  name: SUITE,
  description: 'post-quantum: ML-KEM-768 / ML-DSA-65 ops, hybrid handshake CPU and over TLS, session AEAD throughput, frame latency',
  async run({ quick, sink }) {
    const counts = quick ? QUICK : FULL;
    const loadStarted = performance.now();
    const pqc = await loadPqc();
    progress(`${SUITE}: liboqs loaded in ${(performance.now() - loadStarted).toFixed(0)} ms`);
    const emit = (value: Figure) => sink.emit({ ...value, load1: round(loadavg()[0] ?? 0) });

    for (const result of primitives(pqc, counts)) emit(result);
    progress(`${SUITE}: primitives done`);

    const now = Date.now();
    const ca = await createTrustDomainCa(TRUST_DOMAIN, { notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR) });
    const a = await benchIdentity(pqc, ca, `spiffe://${TRUST_DOMAIN}/node/a`);
    const b = await benchIdentity(pqc, ca, `spiffe://${TRUST_DOMAIN}/node/b`);

    for (const result of handshakeCpu(pqc, a, b, counts)) emit(result);
    progress(`${SUITE}: handshake CPU done`);

    const server = new LoopbackServer(b.credentials);
    await server.listen();
    try {
      emit(await handshakeLoopback(server, pqc, a, b, counts));
      progress(`${SUITE}: loopback handshakes done`);
      for (const result of await frameLatency(server, pqc, a, b, counts)) emit(result);
      progress(`${SUITE}: frame latency done`);
    } finally {
      await server.close();
    }

    for (const result of aeadThroughput(SUITE, counts)) emit(result);
  },
};

// ---------------------------------------------------------------------------------------------
// Identities: an SVID (TLS and the node record's signer) and an ML-DSA-65 key pair per node.

interface BenchIdentity {
  local: LocalIdentity;
  /** How the other side sees this node once TLS has proved its SVID. */
  peer: PeerIdentity;
  credentials: SvidCredentials;
}

async function benchIdentity(pqc: Pqc, ca: TrustDomainCa, id: string): Promise<BenchIdentity> {
  const svid = await issueX509Svid(ca, parseSpiffeId(id), { notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + HOUR) });
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', svid.keys.privateKey));
  const svidKey = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  const mldsa = pqc.mldsa65.keypair();
  const record = encodeNodeRecord({ spiffeId: id, mldsaPublicKey: mldsa.publicKey, notAfter: Date.now() + HOUR }, svidKey);
  return {
    local: { spiffeId: id, svidKey, mldsa, record },
    peer: { spiffeId: id, svidPublicKey: createPublicKey(svidKey) },
    credentials: { chain: [svid.certificate], privateKey: pkcs8, bundles: new Map([[ca.trustDomain, [ca.certificate]]]) },
  };
}

// ---------------------------------------------------------------------------------------------
// liboqs operations.

/** µs per call of a synchronous operation, after warm-up calls. */
function timeSync(n: number, warmup: number, run: (index: number) => void): number[] {
  for (let i = 0; i < warmup; i++) run(i % n);
  const samples: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    run(i);
    samples[i] = (performance.now() - started) * 1_000;
  }
  return samples;
}

function primitives(pqc: Pqc, counts: Counts): Figure[] {
  const { ops: n, opsWarmup: warmup } = counts;
  const kem = pqc.kem('ML-KEM-768');
  const config = (operation: string) => ({ config: { implementation: '@oqs/liboqs-js (liboqs WASM) through lib/crypto/liboqs.ts', operation, warmup_runs: warmup, clock: 'performance.now() around one synchronous call' } });

  const keygen = timeSync(n, warmup, () => kem.keypair());
  const { publicKey, secretKey } = kem.keypair();
  const encapsulations: { ciphertext: Uint8Array; sharedSecret: Uint8Array }[] = new Array(n);
  const encaps = timeSync(n, warmup, (i) => {
    encapsulations[i] = kem.encapsulate(publicKey);
  });
  const decapsulated: Uint8Array[] = new Array(n);
  const decaps = timeSync(n, warmup, (i) => {
    decapsulated[i] = kem.decapsulate(encapsulations[i]!.ciphertext, secretKey);
  });
  for (let i = 0; i < n; i++) {
    if (!Buffer.from(decapsulated[i]!).equals(Buffer.from(encapsulations[i]!.sharedSecret))) throw new Error(`ML-KEM-768: decapsulation ${i} disagrees with its encapsulation`);
  }

  // What the handshake signs: a 44-byte context string and a 48-byte transcript hash.
  const signer = pqc.mldsa65;
  const keys = signer.keypair();
  const messages = Array.from({ length: n }, () => randomBytes(92));
  const signatures: Uint8Array[] = new Array(n);
  const sign = timeSync(n, warmup, (i) => {
    signatures[i] = signer.sign(messages[i]!, keys.secretKey);
  });
  const verdicts: boolean[] = new Array(n);
  const verify = timeSync(n, warmup, (i) => {
    verdicts[i] = signer.verify(messages[i]!, signatures[i]!, keys.publicKey);
  });
  if (verdicts.some((ok) => !ok)) throw new Error('ML-DSA-65: a signature did not verify');

  return [
    figure(SUITE, 'mlkem768_keygen_us', 'us', keygen, config('ML-KEM-768 key pair')),
    figure(SUITE, 'mlkem768_encaps_us', 'us', encaps, config('ML-KEM-768 encapsulation (with the public key size check)')),
    figure(SUITE, 'mlkem768_decaps_us', 'us', decaps, config('ML-KEM-768 decapsulation of distinct ciphertexts, all checked against the encapsulated secrets')),
    figure(SUITE, 'mldsa65_sign_us', 'us', sign, config('ML-DSA-65 signature of a distinct 92-byte message (the handshake signs 44 + 48 bytes)')),
    figure(SUITE, 'mldsa65_verify_us', 'us', verify, config('ML-DSA-65 verification of those signatures, all checked valid')),
  ];
}

// ---------------------------------------------------------------------------------------------
// Handshake CPU: the steps of lib/crypto/pq-handshake.ts, in turn, on this thread.


interface Timed<T> {
  value: T;
  /** performance.now() around the call. */
  wallMs: number;
  /** process.cpuUsage() user + system around the call (the whole process: every thread). */
  cpuMs: number;
}

function timed<T>(run: () => T): Timed<T> {
  const cpuMark = process.cpuUsage();
  const started = performance.now();
  const value = run();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpuMark);
  return { value, wallMs, cpuMs: (used.user + used.system) / 1_000 };
}

function handshakeCpu(pqc: Pqc, a: BenchIdentity, b: BenchIdentity, counts: Counts): Figure[] {
  const wall = { initiator: [] as number[], responder: [] as number[] };
  const cpu = { initiator: [] as number[], responder: [] as number[] };
  const steps = { startInitiator: [] as number[], respond: [] as number[], finishInitiator: [] as number[], completeResponder: [] as number[] };
  const total = counts.handshakesWarmup + counts.handshakes;
  for (let run = 0; run < total; run++) {
    // A fresh exporter per handshake, as a fresh TLS connection would give.
    const exporter = randomBytes(TLS_EXPORTER_BYTES);
    const initiatorContext: HandshakeContext = { pqc, local: a.local, peer: b.peer, exporter, suites: DEFAULT_SUITES, now: Date.now };
    const responderContext: HandshakeContext = { pqc, local: b.local, peer: a.peer, exporter, suites: DEFAULT_SUITES, now: Date.now };
    const start = timed(() => startInitiator(initiatorContext));
    const answer = timed(() => respond(responderContext, start.value.hello));
    const finish = timed(() => finishInitiator(initiatorContext, start.value.state, answer.value.accept));
    const complete = timed(() => completeResponder(responderContext, answer.value.state, finish.value.finish));
    const initiatorKeys = finish.value.established.keys;
    const responderKeys = complete.value.keys;
    if (finish.value.established.suite !== 'x-wing' || complete.value.suite !== 'x-wing' || !initiatorKeys.send.equals(responderKeys.receive) || !initiatorKeys.receive.equals(responderKeys.send)) {
      throw new Error('handshake: the two sides did not agree on suite x-wing and the same keys');
    }
    if (run < counts.handshakesWarmup) continue;
    wall.initiator.push(start.wallMs + finish.wallMs);
    wall.responder.push(answer.wallMs + complete.wallMs);
    cpu.initiator.push(start.cpuMs + finish.cpuMs);
    cpu.responder.push(answer.cpuMs + complete.cpuMs);
    steps.startInitiator.push(start.wallMs);
    steps.respond.push(answer.wallMs);
    steps.finishInitiator.push(finish.wallMs);
    steps.completeResponder.push(complete.wallMs);
  }
  const stepMedians = (names: (keyof typeof steps)[]) => Object.fromEntries(names.map((name) => [name, round(summarize(steps[name]).median)]));
  const config = (role: 'initiator' | 'responder') => ({
    suite: 'x-wing',
    offered_and_accepted: DEFAULT_SUITES,
    steps: role === 'initiator' ? 'startInitiator + finishInitiator' : 'respond + completeResponder',
    clock: 'performance.now() around each synchronous step, summed per side (the four steps run in turn on one thread: wall time = this thread\'s CPU time, unless preempted)',
    cross_check: 'process.cpuUsage() user + system around the same steps (whole process, every thread)',
    identities: 'ECDSA P-256 SVID keys, ML-DSA-65 keys, node records signed by the SVID keys; a fresh 32-byte exporter per handshake',
    warmup_runs: counts.handshakesWarmup,
  });
  return (['initiator', 'responder'] as const).map((role) => {
    const result = figure(SUITE, `handshake_cpu_ms_${role}`, 'ms', wall[role]);
    const used = summarize(cpu[role]);
    return {
      ...result,
      cpu_usage_ms: { median: round(used.median), p99: round(used.p99) },
      step_median_ms: stepMedians(role === 'initiator' ? ['startInitiator', 'finishInitiator'] : ['respond', 'completeResponder']),
      target: `p50 <= ${HANDSHAKE_TARGET_MS} ms`,
      target_met: result.median <= HANDSHAKE_TARGET_MS,
      config: config(role),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// A mutual TLS 1.3 connection on loopback, both ends in this process, records as link frames.

type Side = 'client' | 'server';

function withLimit<T>(what: string, promise: Promise<T>): Promise<T> {
  return raceTimeout(realClock, promise, WAIT_LIMIT_MS, (): never => {
    throw new Error(`${what}: nothing after ${WAIT_LIMIT_MS} ms`);
  });
}

/** Both ends of one connection; each end's `data` frames go to the handler registered for their topic. */
class Connection {
  readonly handlers: Record<Side, Map<string, (payload: Buffer) => void>> = { client: new Map(), server: new Map() };

  constructor(
    readonly client: TLSSocket,
    readonly server: TLSSocket,
  ) {
    this.attach(client, this.handlers.client);
    this.attach(server, this.handlers.server);
  }

  private attach(socket: TLSSocket, handlers: Map<string, (payload: Buffer) => void>): void {
    const reader = new RecordReader();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) if (frame.kind === 'data') handlers.get(frame.topic)?.(frame.payload);
    });
  }

  socket(side: Side): TLSSocket {
    return side === 'client' ? this.client : this.server;
  }

  exporter(side: Side): Buffer {
    return this.socket(side).exportKeyingMaterial(TLS_EXPORTER_BYTES, TLS_EXPORTER_LABEL, Buffer.alloc(0));
  }

  write(side: Side, topic: string, payload: Uint8Array): void {
    this.socket(side).write(encodeFrame({ kind: 'data', seq: 0, topic, payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength) }));
  }

  destroy(): void {
    this.client.destroy();
    this.server.destroy();
  }
}

/** One TLS server on 127.0.0.1 presenting node b's SVID and asking for the client's, as the peer link listens. */
class LoopbackServer {
  private readonly server: Server;
  private readonly waiting: ((socket: TLSSocket) => void)[] = [];
  private readonly open = new Set<TLSSocket>();
  private port = 0;

  constructor(credentials: SvidCredentials) {
    this.server = createServer({ ...secureContextOptions(credentials), requestCert: true, rejectUnauthorized: false });
    this.server.on('secureConnection', (socket) => {
      this.track(socket);
      const next = this.waiting.shift();
      if (next) next(socket);
      else socket.destroy();
    });
    this.server.on('tlsClientError', () => undefined);
  }

  private track(socket: TLSSocket): void {
    this.open.add(socket);
    // A reset on teardown is expected; failures that matter surface as a session failure or a timeout.
    socket.on('error', () => undefined);
    socket.once('close', () => this.open.delete(socket));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  /** A new connection from a client presenting `credentials`: both ends, once both have finished the TLS handshake. */
  async connection(credentials: SvidCredentials): Promise<Connection> {
    const accepted = new Promise<TLSSocket>((resolve) => this.waiting.push(resolve));
    const client = connect({ host: '127.0.0.1', port: this.port, ...secureContextOptions(credentials), rejectUnauthorized: false, checkServerIdentity: () => undefined });
    this.track(client);
    await withLimit(
      'TLS connect',
      new Promise<void>((resolve, reject) => {
        client.once('secureConnect', resolve);
        client.once('error', reject);
      }),
    );
    const server = await withLimit('TLS accept', accepted);
    if (client.getProtocol() !== 'TLSv1.3') throw new Error(`the loopback connection negotiated ${client.getProtocol()}, not TLSv1.3`);
    return new Connection(client, server);
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

interface SessionHooks {
  established(role: 'initiator' | 'responder', at: number): void;
  message(role: 'initiator' | 'responder', payload: Buffer, at: number): void;
  failed(error: Error): void;
}

/** The initiator (node a) on the client end, the responder (node b) on the server end; not started. */
function sessionPair(connection: Connection, pqc: Pqc, a: BenchIdentity, b: BenchIdentity, hooks: SessionHooks): { initiator: PqSession; responder: PqSession } {
  const exporters = { client: connection.exporter('client'), server: connection.exporter('server') };
  if (!exporters.client.equals(exporters.server)) throw new Error('the two ends of the connection export different keying material');
  const make = (role: 'initiator' | 'responder', side: Side, self: BenchIdentity, other: BenchIdentity) => {
    const session = new PqSession({
      role,
      pqc,
      local: self.local,
      peer: other.peer,
      exporter: exporters[side],
      suites: DEFAULT_SUITES,
      send: (record) => connection.write(side, 'pq', record),
      onMessage: (payload) => hooks.message(role, payload, performance.now()),
      onEstablished: () => hooks.established(role, performance.now()),
      onFailed: (error) => hooks.failed(error),
    });
    connection.handlers[side].set('pq', (record) => session.receive(record));
    return session;
  };
  return { initiator: make('initiator', 'client', a, b), responder: make('responder', 'server', b, a) };
}

// ---------------------------------------------------------------------------------------------
// Handshakes over TLS: start() → both established, a fresh connection each.

async function handshakeLoopback(server: LoopbackServer, pqc: Pqc, a: BenchIdentity, b: BenchIdentity, counts: Counts): Promise<Figure> {
  const samples: number[] = [];
  const initiatorSamples: number[] = [];
  const connectSamples: number[] = [];
  const total = counts.loopbackWarmup + counts.loopback;
  for (let run = 0; run < total; run++) {
    const connectStarted = performance.now();
    const connection = await server.connection(a.credentials);
    const connectMs = performance.now() - connectStarted;
    let sessions: { initiator: PqSession; responder: PqSession } | undefined;
    try {
      const at: { initiator?: number; responder?: number } = {};
      let settle: { resolve(): void; reject(error: Error): void } | undefined;
      const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      sessions = sessionPair(connection, pqc, a, b, {
        established: (role, when) => {
          at[role] = when;
          if (at.initiator !== undefined && at.responder !== undefined) settle!.resolve();
        },
        message: () => undefined,
        failed: (error) => settle!.reject(error),
      });
      const started = performance.now();
      sessions.responder.start();
      sessions.initiator.start();
      await withLimit('PqSession handshake over TLS', done);
      if (sessions.initiator.suite !== 'x-wing' || sessions.responder.suite !== 'x-wing') throw new Error('the loopback handshake did not settle on x-wing');
      if (run >= counts.loopbackWarmup) {
        samples.push(Math.max(at.initiator!, at.responder!) - started);
        initiatorSamples.push(at.initiator! - started);
        connectSamples.push(connectMs);
      }
    } finally {
      sessions?.initiator.close();
      sessions?.responder.close();
      connection.destroy();
    }
    if ((run + 1) % 100 === 0) progress(`${SUITE}: loopback handshake ${run + 1}/${total}`);
  }
  return figure(SUITE, 'handshake_loopback_ms', 'ms', samples, {
    initiator_established_median_ms: round(summarize(initiatorSamples).median),
    tls_connect_median_ms: round(summarize(connectSamples).median),
    config: {
      suite: 'x-wing',
      transport: 'mutual TLS 1.3 on 127.0.0.1 with ECDSA P-256 SVIDs (secureContextOptions, as the peer link), records as link data frames (frame-codec.ts); both ends in this process',
      measured: 'performance.now() from just before responder.start() and initiator.start() until the later onEstablished; a fresh TLS connection per handshake, its TLS handshake not timed (tls_connect_median_ms)',
      warmup_runs: counts.loopbackWarmup,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// One-way latency of a small message through an established session, against a bare link frame.

async function frameLatency(server: LoopbackServer, pqc: Pqc, a: BenchIdentity, b: BenchIdentity, counts: Counts): Promise<Figure[]> {
  const connection = await server.connection(a.credentials);
  let sessions: { initiator: PqSession; responder: PqSession } | undefined;
  let pending: { resolve(at: number): void; reject(error: Error): void } | undefined;
  let failure: Error | undefined;
  const samples = { pq: [] as number[], raw: [] as number[] };
  try {
    let established = 0;
    let ready: (() => void) | undefined;
    const up = new Promise<void>((resolve) => (ready = resolve));
    sessions = sessionPair(connection, pqc, a, b, {
      established: () => {
        if (++established === 2) ready!();
      },
      message: (role, payload, at) => {
        if (role !== 'responder' || payload.length !== LATENCY_PAYLOAD_BYTES) pending?.reject(new Error(`unexpected message: ${payload.length} bytes at the ${role}`));
        else pending?.resolve(at);
      },
      failed: (error) => {
        failure = error;
        pending?.reject(error);
      },
    });
    connection.handlers.server.set('raw', (payload) => {
      const at = performance.now();
      if (payload.length !== LATENCY_PAYLOAD_BYTES) pending?.reject(new Error(`unexpected raw frame of ${payload.length} bytes`));
      else pending?.resolve(at);
    });
    sessions.responder.start();
    sessions.initiator.start();
    await withLimit('PqSession handshake over TLS', Promise.race([up, new Promise<never>((_, reject) => (pending = { resolve: () => undefined, reject }))]));
    if (failure) throw failure;
    const initiator = sessions.initiator;
    const payload = randomBytes(LATENCY_PAYLOAD_BYTES);
    const send = { pq: () => initiator.send(payload), raw: () => connection.write('client', 'raw', payload) };
    const perPath = counts.latencyWarmup + counts.latency;
    // Alternating blocks, so a change in the machine's load during the run touches both paths alike.
    for (let done = 0; done < perPath; done += LATENCY_BLOCK) {
      const block = Math.min(LATENCY_BLOCK, perPath - done);
      for (const path of ['pq', 'raw'] as const) {
        for (let i = 0; i < block; i++) {
          const received = withLimit(
            'a frame over the loopback connection',
            new Promise<number>((resolve, reject) => (pending = { resolve, reject })),
          );
          const sent = performance.now();
          send[path]();
          const at = await received;
          if (done + i >= counts.latencyWarmup) samples[path].push((at - sent) * 1_000);
        }
      }
    }
    if (sessions.initiator.rekeys !== 0) progress(`${SUITE}: note: ${sessions.initiator.rekeys} rekeys during the latency run`);
  } finally {
    pending = undefined;
    sessions?.initiator.close();
    sessions?.responder.close();
    connection.destroy();
  }
  const transport = 'mutual TLS 1.3 on 127.0.0.1 (Nagle left on, as the peer link leaves it), both ends in this process';
  const raw = figure(SUITE, 'tls_frame_latency_us', 'us', samples.raw, {
    role: 'baseline',
    config: { payload_bytes: LATENCY_PAYLOAD_BYTES, transport, measured: 'socket.write(encodeFrame(data frame)) -> the frame decoded at the other end, one at a time, performance.now()', warmup_samples: counts.latencyWarmup, block: LATENCY_BLOCK },
  });
  const pq = figure(SUITE, 'frame_latency_us', 'us', samples.pq, {
    ratio_vs: 'tls_frame_latency_us',
    ratio: round(summarize(samples.pq).median / summarize(samples.raw).median),
    config: {
      payload_bytes: LATENCY_PAYLOAD_BYTES,
      suite: 'x-wing',
      transport,
      measured: 'initiator PqSession.send() -> responder onMessage (sealed, framed, written, read, opened), one at a time, performance.now(); alternating blocks with the baseline',
      warmup_samples: counts.latencyWarmup,
      block: LATENCY_BLOCK,
    },
  });
  return [raw, pq];
}
