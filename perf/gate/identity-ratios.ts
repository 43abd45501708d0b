/**
 * The gate's identity ratios, each side measured in the same round as the other:
 * - `identity_svid_validate_vs_ecdsa_verify`: verifyX509Svid on a leaf → root chain against one
 *   bare WebCrypto ECDSA P-256 verification (a chain costs at least one per link);
 * - `identity_mtls_vs_tls_handshake`: a TLS 1.3 handshake on loopback with both sides verifying
 *   and authorizing the other's SVID, against the same handshake without the SPIFFE checks.
 * Both are CPU time of the whole process (client, server and the threadpool's crypto are all in
 * it): the checks add thread hops (WebCrypto runs on the threadpool), and on a loaded machine
 * each hop waits for a core, so a wall-time ratio grows with the load (2.5 idle, 5.4 under two
 * CPU burners) while the work the checks add does not.
 */
import { webcrypto } from 'node:crypto';
import { connect, createServer, type Server } from 'node:tls';
import { secureContextOptions, verifyPeer, type SvidCredentials } from '../../lib/spiffe/mtls.js';
import type { PeerPolicy } from '../../lib/spiffe/peer-policy.js';
import { parseSpiffeId } from '../../lib/spiffe/spiffe-id.js';
import { createTrustDomainCa, issueX509Svid, type TrustDomainCa } from '../../lib/spiffe/svid-issuer.js';
import { verifyX509Svid } from '../../lib/spiffe/x509-svid.js';
import type { Figure } from '../stats.js';
import { medianCpuMicrosAsync, pairedRatio, ratioFigure, warmFor } from './paired-ratio.js';

export interface IdentityGateCounts {
  rounds: number;
  warmupRounds: number;
  /** Validations (and verifications) per side per round. */
  validationsPerRound: number;
  handshakesPerRound: number;
}

const HOUR = 3_600_000;
const TRUST_DOMAIN = 'gate.test';
const POLICY: PeerPolicy[] = [{ kind: 'trust-domain', trustDomain: TRUST_DOMAIN }];
/**
 * How long each pair of sides runs before it is measured. Validation is mostly JavaScript (ASN.1,
 * the SPIFFE rules), optimised by V8 on background threads once hot; on a loaded machine those
 * threads wait for a core, and validation measured before they are done ran up to twice as slow
 * against an ECDSA verification (OpenSSL, no warm-up to wait for), moving the ratio from 5 to 10.
 */
const WARM_MS = 1_000;

async function credentials(ca: TrustDomainCa, id: string): Promise<SvidCredentials> {
  const svid = await issueX509Svid(ca, parseSpiffeId(id), { notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + HOUR) });
  const privateKey = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', svid.keys.privateKey));
  return { chain: [svid.certificate], privateKey, bundles: new Map([[ca.trustDomain, [ca.certificate]]]) };
}

/** A TLS server presenting `own`; with `check`, it verifies and authorizes each client's SVID before answering. */
async function server(own: SvidCredentials, check: boolean): Promise<{ server: Server; port: number }> {
  const tls = createServer({ ...secureContextOptions(own), requestCert: true, rejectUnauthorized: false }, (socket) => {
    socket.on('error', () => undefined);
    if (check) void verifyPeer(socket, own.bundles, POLICY).then(() => socket.end('ok'), () => socket.destroy());
    else socket.end('ok');
  });
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  return { server: tls, port: (tls.address() as { port: number }).port };
}

/** Connect → (with `check`, the server's SVID verified) → the server's answer, which it sends once it has checked the client. */
async function handshake(port: number, own: SvidCredentials, check: boolean): Promise<void> {
  const socket = connect({ port, host: '127.0.0.1', ...secureContextOptions(own), rejectUnauthorized: false, checkServerIdentity: () => undefined });
  try {
    const answered = new Promise<void>((resolve, reject) => {
      socket.once('data', () => resolve());
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('the server closed the connection without answering')));
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    if (check) await verifyPeer(socket, own.bundles, POLICY);
    await answered;
  } finally {
    socket.destroy();
  }
}

export async function identityGateFigures(suite: string, counts: IdentityGateCounts, progress: (message: string) => void): Promise<Figure[]> {
  const now = Date.now();
  const ca = await createTrustDomainCa(TRUST_DOMAIN, { notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR) });
  const plan = { rounds: counts.rounds, warmupRounds: counts.warmupRounds };
  const figures: Figure[] = [];

  const leaf = await issueX509Svid(ca, parseSpiffeId(`spiffe://${TRUST_DOMAIN}/node/a`), { notBefore: new Date(now - HOUR), notAfter: new Date(now + HOUR) });
  const bundles = new Map([[TRUST_DOMAIN, [ca.certificate]]]);
  const data = new Uint8Array(32);
  const signature = new Uint8Array(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, leaf.keys.privateKey, data));
  await warmFor(WARM_MS, async () => {
    await verifyX509Svid([leaf.certificate], bundles);
    await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, leaf.keys.publicKey, signature, data);
  });
  const validation = await pairedRatio({
    ...plan,
    numerator: { label: 'verifyX509Svid, leaf → root (CPU µs)', measure: () => medianCpuMicrosAsync(counts.validationsPerRound, () => verifyX509Svid([leaf.certificate], bundles)) },
    denominator: { label: 'WebCrypto ECDSA P-256 verify (CPU µs)', measure: () => medianCpuMicrosAsync(counts.validationsPerRound, () => webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, leaf.keys.publicKey, signature, data)) },
  });
  figures.push(ratioFigure(suite, 'identity_svid_validate_vs_ecdsa_verify', validation, { config: { clock: 'process CPU time (every thread)', per_round: counts.validationsPerRound, rounds: counts.rounds } }));
  progress('SVID validation against ECDSA verify done');

  const serverCredentials = await credentials(ca, `spiffe://${TRUST_DOMAIN}/node/server`);
  const clientCredentials = await credentials(ca, `spiffe://${TRUST_DOMAIN}/node/client`);
  const checked = await server(serverCredentials, true);
  const unchecked = await server(serverCredentials, false);
  try {
    await warmFor(WARM_MS, async () => {
      await handshake(checked.port, clientCredentials, true);
      await handshake(unchecked.port, clientCredentials, false);
    });
    const handshakes = await pairedRatio({
      ...plan,
      numerator: { label: 'mutual TLS 1.3 with SPIFFE checks on both sides (CPU µs)', measure: () => medianCpuMicrosAsync(counts.handshakesPerRound, () => handshake(checked.port, clientCredentials, true)) },
      denominator: { label: 'the same TLS 1.3 handshake unchecked (CPU µs)', measure: () => medianCpuMicrosAsync(counts.handshakesPerRound, () => handshake(unchecked.port, clientCredentials, false)) },
    });
    figures.push(ratioFigure(suite, 'identity_mtls_vs_tls_handshake', handshakes, { config: { clock: 'process CPU time (client, server and threadpool in this process)', per_round: counts.handshakesPerRound, rounds: counts.rounds } }));
  } finally {
    await Promise.all([checked, unchecked].map(({ server: tls }) => new Promise((resolve) => tls.close(resolve))));
  }
  progress('mTLS handshake against unchecked TLS done');
  return figures;
}
