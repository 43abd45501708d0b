/**
 * Two nodes' identities for post-quantum session tests: SVID key pairs (P-256, as SVIDs have),
 * ML-DSA-65 key pairs from liboqs, and node records binding them, plus each side's view of the
 * other as the TLS handshake would give it.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { loadPqc, type Pqc } from '../../lib/crypto/liboqs.js';
import { encodeNodeRecord } from '../../lib/crypto/node-record.js';
import type { HandshakeContext, LocalIdentity, PeerIdentity } from '../../lib/crypto/pq-handshake.js';
import type { SuiteName } from '../../lib/crypto/pq-suites.js';

export const A_ID = 'spiffe://mesh.test/node/a';
export const B_ID = 'spiffe://mesh.test/node/b';
const HOUR = 3_600_000;

export interface TestNode {
  local: LocalIdentity;
  svidPublicKey: KeyObject;
}

export function svidKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function testNode(pqc: Pqc, spiffeId: string, overrides: { recordId?: string; recordSigner?: KeyObject; notAfter?: number; mldsaPublicKey?: Uint8Array } = {}): TestNode {
  const svid = svidKeyPair();
  const mldsa = pqc.mldsa65.keypair();
  const record = encodeNodeRecord(
    { spiffeId: overrides.recordId ?? spiffeId, mldsaPublicKey: overrides.mldsaPublicKey ?? mldsa.publicKey, notAfter: overrides.notAfter ?? Date.now() + HOUR },
    overrides.recordSigner ?? svid.privateKey,
  );
  return { local: { spiffeId, svidKey: svid.privateKey, mldsa, record }, svidPublicKey: svid.publicKey };
}

export function peerView(node: TestNode): PeerIdentity {
  return { spiffeId: node.local.spiffeId, svidPublicKey: node.svidPublicKey };
}

export interface Pair {
  pqc: Pqc;
  a: TestNode;
  b: TestNode;
  exporter: Uint8Array;
  initiator(suites?: SuiteName[], exporter?: Uint8Array): HandshakeContext;
  responder(suites?: SuiteName[], exporter?: Uint8Array): HandshakeContext;
}

export async function pair(): Promise<Pair> {
  const pqc = await loadPqc();
  const a = testNode(pqc, A_ID);
  const b = testNode(pqc, B_ID);
  const exporter = randomBytes(32);
  return {
    pqc,
    a,
    b,
    exporter,
    initiator: (suites = ['x-wing'], ex = exporter) => ({ pqc, local: a.local, peer: peerView(b), exporter: ex, suites, now: Date.now }),
    responder: (suites = ['x-wing', 'mlkem1024-x25519'], ex = exporter) => ({ pqc, local: b.local, peer: peerView(a), exporter: ex, suites, now: Date.now }),
  };
}
