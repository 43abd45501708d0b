/**
 * The identity suite:
 * - `svid_validate_us`: verifyX509Svid over a leaf → root chain and a leaf → intermediate → root
 *   chain, against the baseline of one bare ECDSA P-256 signature verification (WebCrypto) in the
 *   same process (a chain costs at least one per link).
 * - `mtls_handshake_ms`: a TLS 1.3 connection on loopback with SVIDs, both sides verifying and
 *   authorizing the other's SPIFFE ID, against the same handshake without the SPIFFE checks.
 * - `rotation_gap_ms`: from a new SVID arriving on the Workload API stream (embedded agent, real
 *   unix socket) to a new connection presenting it.
 * The endpoints are in one process (two TLS servers and clients, one Workload API server): the
 * cost measured is the identity code's and the handshake's, not process scheduling.
 */
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { createEmbeddedSvidSource } from '../../actors/identity/embedded-svid-source.js';
import { secureContextOptions, verifyPeer, type SvidCredentials } from '../../lib/spiffe/mtls.js';
import { X509ContextWatcher, type X509Context } from '../../lib/spiffe/workload-api-client.js';
import { startWorkloadApiServer } from '../../actors/identity/workload-api-server.js';
import type { PeerPolicy } from '../../lib/spiffe/peer-policy.js';
import { parseSpiffeId } from '../../lib/spiffe/spiffe-id.js';
import { createTrustDomainCa, issueX509Svid, type TrustDomainCa } from '../../lib/spiffe/svid-issuer.js';
import { verifyX509Svid } from '../../lib/spiffe/x509-svid.js';
import { intermediateOf, leafWith } from '../../test/lib/spiffe/fixtures/certificate-factory.js';
import { figure, progress, round, summarize } from '../stats.js';
import type { Suite } from './suite.js';

const SUITE = 'identity';
const HOUR = 3_600_000;

interface Counts {
  validations: number;
  handshakes: number;
  rotations: number;
}
const FULL: Counts = { validations: 5_000, handshakes: 500, rotations: 50 };
const QUICK: Counts = { validations: 500, handshakes: 50, rotations: 10 };
const POLICY: PeerPolicy[] = [{ kind: 'trust-domain', trustDomain: 'bench.test' }];

export const identitySuite: Suite = {
  name: SUITE,
  description: 'SPIFFE identity: X.509-SVID validation, mTLS handshakes with SVIDs, rotation gap',
  async run({ quick, sink }) {
    const counts = quick ? QUICK : FULL;
    const now = Date.now();
    const ca = await createTrustDomainCa('bench.test', { notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR) });

    // Validation, and its baseline: one signature check.
    const direct = await issueX509Svid(ca, parseSpiffeId('spiffe://bench.test/node/a'), { notBefore: new Date(now - HOUR), notAfter: new Date(now + HOUR) });
    const intermediate = await intermediateOf(ca);
    const deep = await leafWith(intermediate);
    const bundles = new Map([['bench.test', [ca.certificate]]]);
    const at = new Date();
    const signature = new Uint8Array(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, direct.keys.privateKey, new Uint8Array(32)));
    const baseline = await timeEach(counts.validations, () => webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, direct.keys.publicKey, signature, new Uint8Array(32)));
    const baselineMedian = summarize(baseline).median;
    sink.emit(figure(SUITE, 'ecdsa_p256_verify_us', 'us', baseline, { role: 'baseline' }));
    // Both chains are valid around this run's time (the factory's NOW is the run's start).
    for (const [name, chain] of [
      ['leaf_root', [direct.certificate]],
      ['leaf_intermediate_root', [deep, intermediate.certificate]],
    ] as const) {
      const samples = await timeEach(counts.validations, () => verifyX509Svid(chain, bundles, at));
      const result = figure(SUITE, `svid_validate_us_${name}`, 'us', samples);
      sink.emit({ ...result, ratio_vs: 'ecdsa_p256_verify_us', ratio: round(result.median / baselineMedian) });
    }
    progress('validation done');

    // Handshakes: with the SPIFFE checks on both sides, and without.
    const server = await credentialsFor(ca, 'spiffe://bench.test/node/server');
    const client = await credentialsFor(ca, 'spiffe://bench.test/node/client');
    const plain = await handshakes(server, client, counts.handshakes, false);
    const checked = await handshakes(server, client, counts.handshakes, true);
    sink.emit(figure(SUITE, 'tls13_handshake_ms_unchecked', 'ms', plain, { role: 'baseline' }));
    const mtls = figure(SUITE, 'mtls_handshake_ms', 'ms', checked);
    sink.emit({ ...mtls, ratio_vs: 'tls13_handshake_ms_unchecked', ratio: round(mtls.median / summarize(plain).median) });
    progress('handshakes done');

    // Rotation: a new SVID on the stream → the TLS server uses it → a new connection presents it.
    sink.emit(figure(SUITE, 'rotation_gap_ms', 'ms', await rotationGaps(ca, counts.rotations)));
  },
};

async function timeEach(n: number, run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(100, n); i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await run();
    samples.push((performance.now() - started) * 1000);
  }
  return samples;
}

async function credentialsFor(ca: TrustDomainCa, id: string): Promise<SvidCredentials> {
  const svid = await issueX509Svid(ca, parseSpiffeId(id), { notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + HOUR) });
  return {
    chain: [svid.certificate],
    privateKey: new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', svid.keys.privateKey)),
    bundles: new Map([[ca.trustDomain, [ca.certificate]]]),
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** Time from connect to both sides having verified (or, unchecked, to the client's secureConnect and the server's first byte). */
async function handshakes(serverCreds: SvidCredentials, clientCreds: SvidCredentials, n: number, check: boolean): Promise<number[]> {
  const server = createServer({ ...secureContextOptions(serverCreds), requestCert: true, rejectUnauthorized: false }, (socket) => {
    const done = () => socket.end('ok');
    if (check) void verifyPeer(socket, serverCreds.bundles, POLICY).then(done, () => socket.destroy());
    else done();
  });
  const port = await listen(server);
  const samples: number[] = [];
  try {
    for (let i = 0; i < n + 20; i++) {
      const started = performance.now();
      const socket = connect({ port, host: '127.0.0.1', ...secureContextOptions(clientCreds), rejectUnauthorized: false, checkServerIdentity: () => undefined });
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      if (check) await verifyPeer(socket, clientCreds.bundles, POLICY);
      await new Promise<void>((resolve) => socket.once('data', () => resolve()));
      if (i >= 20) samples.push(performance.now() - started);
      socket.destroy();
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return samples;
}

async function rotationGaps(ca: TrustDomainCa, n: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-bench-id-'));
  const source = await createEmbeddedSvidSource({ ca, spiffeId: parseSpiffeId('spiffe://bench.test/node/rotating') });
  const agent = await startWorkloadApiServer({ socketPath: join(dir, 'agent.sock'), source });
  const serverCreds = await credentialsFor(ca, 'spiffe://bench.test/node/server');
  const tlsServer = createServer({ ...secureContextOptions(serverCreds), requestCert: true, rejectUnauthorized: false }, (socket) => socket.end('ok'));
  const port = await listen(tlsServer);
  const client = await credentialsFor(ca, 'spiffe://bench.test/node/client');
  let onContext: ((context: X509Context) => void) | undefined;
  const watcher = new X509ContextWatcher({ address: { kind: 'unix', path: join(dir, 'agent.sock') }, onUpdate: (context) => onContext?.(context) });
  const samples: number[] = [];
  try {
    const first = new Promise<void>((resolve) => (onContext = () => resolve()));
    watcher.start();
    await first;
    for (let i = 0; i < n; i++) {
      const received = new Promise<{ context: X509Context; at: number }>((resolve) => (onContext = (context) => resolve({ context, at: performance.now() })));
      await source.rotate();
      const { context, at } = await received;
      const svid = context.svids[0]!;
      tlsServer.setSecureContext(secureContextOptions({ chain: svid.chain, privateKey: new Uint8Array(svid.privateKey), bundles: context.bundles }));
      const socket: TLSSocket = connect({ port, host: '127.0.0.1', ...secureContextOptions(client), rejectUnauthorized: false, checkServerIdentity: () => undefined });
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      const presented = socket.getPeerCertificate().serialNumber.toLowerCase().replace(/^0+/, '');
      if (presented !== svid.chain[0]!.serialNumber.toLowerCase().replace(/^0+/, '')) throw new Error('a new connection did not present the rotated SVID');
      samples.push(performance.now() - at);
      socket.destroy();
    }
  } finally {
    watcher.stop();
    source.stop();
    await agent.close();
    await new Promise((resolve) => tlsServer.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}
