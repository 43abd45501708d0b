/**
 * Member records as gossip carries them: a record a node signed verifies at any member that trusts
 * its trust domain, whoever relayed it; every forgery a relay could try is refused with its reason:
 * a changed byte anywhere, another node's chain, a binding of another key, a key not the bound one,
 * a member's chain with an outsider's binding, a record from a foreign trust domain, an ID this
 * node does not admit, an expired binding, a time of issue from the future, and inputs too large or
 * malformed to read, which are refused before any signature is checked.
 */
import { createPrivateKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPqc, type Pqc } from '../../../lib/crypto/liboqs.js';
import { encodeNodeRecord } from '../../../lib/crypto/node-record.js';
import { xwingKeyPair } from '../../../lib/crypto/xwing.js';
import { encodeMemberRecord, MAX_MEMBER_RECORD_BYTES, MemberRecordError, verifyMemberRecord, type MemberRecord, type MemberRecordRefusal } from '../../../lib/mesh/member-record.js';
import { createTrustDomainCa, type TrustDomainCa } from '../../../lib/spiffe/svid-issuer.js';
import { nodeCredentials } from '../../helpers/node-credentials.js';
import type { NodeCredentials } from '../../../actors/runtime/contracts/transport.js';

const HOUR = 3_600_000;
const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';

let pqc: Pqc;
let ca: TrustDomainCa;
let foreignCa: TrustDomainCa;

interface Signed {
  credentials: NodeCredentials;
  mldsa: { publicKey: Uint8Array; secretKey: Uint8Array };
  binding: Buffer;
}

async function node(authority: TrustDomainCa, spiffeId: string, options: { bindingNotAfter?: number; bindKey?: Uint8Array } = {}): Promise<Signed> {
  const credentials = await nodeCredentials(authority, spiffeId);
  const mldsa = pqc.mldsa65.keypair();
  const svidKey = createPrivateKey({ key: Buffer.from(credentials.privateKey), format: 'der', type: 'pkcs8' });
  const binding = encodeNodeRecord({ spiffeId, mldsaPublicKey: options.bindKey ?? mldsa.publicKey, notAfter: options.bindingNotAfter ?? credentials.expiresAt }, svidKey);
  return { credentials, mldsa, binding };
}

function record(spiffeId: string, overrides: Partial<MemberRecord> = {}): MemberRecord {
  return { spiffeId, addresses: ['127.0.0.1:7001', '[::1]:7001'], incarnation: 3n, state: 'alive', issuedAt: Date.now(), kemPublicKey: xwingKeyPair(pqc.kem('ML-KEM-768')).publicKey, ...overrides };
}

function sign(signed: Signed, content: MemberRecord, overrides: { chainOf?: Signed; bindingOf?: Signed; secretKey?: Uint8Array } = {}): Buffer {
  return encodeMemberRecord(content, {
    chain: (overrides.chainOf ?? signed).credentials.chain.map((certificate) => new Uint8Array(certificate.rawData)),
    binding: (overrides.bindingOf ?? signed).binding,
    secretKey: overrides.secretKey ?? signed.mldsa.secretKey,
    signer: pqc.mldsa65,
  });
}

/** The node's policy: members of its own trust domain under /node, as the peer link's default. */
const admits = (spiffeId: string) => spiffeId.startsWith('spiffe://mesh.test/node/') || spiffeId.startsWith('spiffe://other.test/');
const verify = (bytes: Uint8Array, now = Date.now(), signer = pqc.mldsa65) =>
  verifyMemberRecord(bytes, { bundles: new Map([[ca.trustDomain, [ca.certificate]]]), authorize: admits, signer, now });

async function refusal(bytes: Uint8Array, now?: number, signer?: Pqc['mldsa65']): Promise<MemberRecordRefusal> {
  const error = await verify(bytes, now, signer).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'the forgery was accepted').toBeInstanceOf(MemberRecordError);
  return (error as MemberRecordError).reason;
}

beforeAll(async () => {
  pqc = await loadPqc();
  ca = await createTrustDomainCa('mesh.test', { notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + 24 * HOUR) });
  foreignCa = await createTrustDomainCa('other.test', { notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + 24 * HOUR) });
});

describe('member records', () => {
  it('verify at any member of the trust domain: ID, canonical addresses, incarnation, the bound key and when it expires', async () => {
    const a = await node(ca, A);
    const verified = await verify(sign(a, record(A, { addresses: ['127.0.0.1:7001', '[0:0::1]:7001'] })));
    expect(verified).toMatchObject({ spiffeId: A, addresses: ['127.0.0.1:7001', '[::1]:7001'], incarnation: 3n });
    expect(Buffer.from(verified.mldsaPublicKey).equals(Buffer.from(a.mldsa.publicKey))).toBe(true);
    expect(verified.expiresAt).toBe(a.credentials.expiresAt);
  });

  it('carry a graceful leave as the state `left`, and refuse a state code no version knows', async () => {
    const a = await node(ca, A);
    expect((await verify(sign(a, record(A, { state: 'left' })))).state).toBe('left');
    expect((await verify(sign(a, record(A)))).state).toBe('alive');
    // The state byte follows the incarnation: rewrite it in a record signed as it stands, so only the parse can refuse it.
    const bytes = sign(a, record(A, { addresses: [] }));
    const stateOffset = 1 + 2 + Buffer.byteLength(A) + 1 + 8;
    expect(bytes[stateOffset]).toBe(0);
    const unknown = Buffer.from(bytes);
    unknown[stateOffset] = 2;
    expect(await refusal(unknown)).toBe('malformed');
  });

  it('refuse a record with any byte changed after signing (every byte position tried)', async () => {
    const a = await node(ca, A);
    const bytes = sign(a, record(A));
    // Every position, one bit flipped: none may verify. Sampled with a stride so the test stays fast, always including both ends.
    const positions = new Set<number>([0, bytes.length - 1]);
    for (let index = 0; index < bytes.length; index += 37) positions.add(index);
    for (const position of positions) {
      const tampered = Buffer.from(bytes);
      tampered[position]! ^= 0x01;
      expect(await refusal(tampered), `byte ${position}`).toMatch(/malformed|untrusted|binding|signature/);
    }
  });

  it("refuse a relay's forgeries: another node's chain, a binding of another key, a signature by another key", async () => {
    const a = await node(ca, A);
    const b = await node(ca, B);
    expect(await refusal(sign(a, record(A), { chainOf: b }))).toBe('untrusted');
    const bindsAnother = await node(ca, A, { bindKey: b.mldsa.publicKey });
    expect(await refusal(sign(bindsAnother, record(A)))).toBe('signature');
    expect(await refusal(sign(a, record(A), { secretKey: b.mldsa.secretKey }))).toBe('signature');
    // B signs a record claiming to be A with its own, valid key and binding: the chain and binding name B.
    expect(await refusal(sign(b, record(A)))).toBe('untrusted');
    // A's genuine chain relayed with B's binding and signed with B's key: the binding is not A's SVID key's.
    expect(await refusal(sign(b, record(A), { chainOf: a }))).toBe('binding');
  });

  it("refuse an ID this node does not admit, though its trust domain's chain and signatures are good", async () => {
    const service = await node(ca, 'spiffe://mesh.test/service/db');
    expect(await refusal(sign(service, record('spiffe://mesh.test/service/db')))).toBe('unauthorized');
  });

  it('refuse a record of a trust domain this node has no bundle for, an expired binding, and a time of issue from the future', async () => {
    const foreign = await node(foreignCa, 'spiffe://other.test/node/x');
    expect(await refusal(sign(foreign, record('spiffe://other.test/node/x')))).toBe('untrusted');
    const stale = await node(ca, A, { bindingNotAfter: Date.now() - 1_000 });
    expect(await refusal(sign(stale, record(A)))).toBe('binding');
    const a = await node(ca, A);
    expect(await refusal(sign(a, record(A, { issuedAt: Date.now() + 10 * 60_000 })))).toBe('from-the-future');
  });

  it('refuse inputs too large or malformed to read, from the future, or not admitted, before any signature is checked', async () => {
    let verifications = 0;
    const counting = { ...pqc.mldsa65, verify: (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => (verifications++, pqc.mldsa65.verify(message, signature, publicKey)) };
    const early = (bytes: Uint8Array, now?: number) => refusal(bytes, now, counting);
    expect(await early(Buffer.alloc(MAX_MEMBER_RECORD_BYTES + 1))).toBe('oversized');
    expect(await early(Buffer.alloc(0))).toBe('malformed');
    const a = await node(ca, A);
    const bytes = sign(a, record(A));
    expect(await early(bytes.subarray(0, bytes.length - 1))).toBe('malformed');
    expect(await early(Buffer.concat([bytes, Buffer.from([0])]))).toBe('malformed');
    const version = Buffer.from(bytes);
    // Version 1 (before the X-Wing key) and any later one are refused.
    version[0] = 1;
    expect(await early(version)).toBe('malformed');
    version[0] = 3;
    expect(await early(version)).toBe('malformed');
    // An X-Wing key whose ML-KEM half fails FIPS 203's modulus check, or of the wrong length, is no key to seal for.
    expect(await early(sign(a, record(A, { kemPublicKey: new Uint8Array(1216).fill(0xff) })))).toBe('malformed');
    expect(await early(sign(a, record(A, { kemPublicKey: new Uint8Array(1215) })))).toBe('malformed');
    expect(() => sign(a, record(A, { addresses: Array.from({ length: 9 }, (_, index) => `127.0.0.1:${7000 + index}`) }))).toThrow(RangeError);
    expect(await early(sign(a, record(A, { addresses: ['not an address'] })))).toBe('malformed');
    expect(await early(sign(a, record(A, { addresses: ['[::1]:7001', '[0:0::1]:7001'] })))).toBe('malformed');
    expect(await early(sign(a, record(A, { issuedAt: Date.now() + 10 * 60_000 })))).toBe('from-the-future');
    expect(await early(sign(a, record('spiffe://mesh.test/service/db')))).toBe('unauthorized');
    expect(verifications).toBe(0);
    // The same counting signer is consulted for a good record: the count above is not vacuous.
    await verify(bytes, Date.now(), counting);
    expect(verifications).toBe(1);
  });
});
