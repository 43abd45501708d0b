/**
 * Member records and member claims as gossip relays them (lib/mesh/member-record.ts,
 * member-claim.ts): every byte of a record, certificates and binding included, and of a claim, is
 * under its ML-DSA signature, so one that verifies must be, byte for byte, one its signer signed;
 * every refusal must be a MemberRecordError or MemberClaimError. Two recorded records of two nodes,
 * and two claims of two claimers, give the edits pieces of each other to splice in.
 */
import { createPrivateKey } from 'node:crypto';
import { loadPqc, type Pqc } from '../../lib/crypto/liboqs.js';
import { encodeNodeRecord } from '../../lib/crypto/node-record.js';
import { xwingKeyPair } from '../../lib/crypto/xwing.js';
import { encodeMemberClaim, MemberClaimError, verifyMemberClaim } from '../../lib/mesh/member-claim.js';
import { encodeMemberRecord, MemberRecordError, verifyMemberRecord } from '../../lib/mesh/member-record.js';
import { createTrustDomainCa } from '../../lib/spiffe/svid-issuer.js';
import { nodeCredentials } from '../helpers/node-credentials.js';
import { bytesNear, hex } from './byte-mutations.js';
import { asyncFuzzTarget, suiteOf, type FuzzSuite } from './fuzz-target.js';
import { authenticIffRecorded, mustBeTyped } from './oracles.js';

export const MEMBER_RECORD_TARGETS = ['member-record', 'member-claim'] as const;

const HOUR = 3_600_000;
const TRUST_DOMAIN = 'mesh.test';

export interface MemberRecordTargetOptions {
  /** The liboqs whose ML-DSA verifies records; a test plants one that accepts any signature. */
  pqc?: (real: Pqc) => Pqc;
}

export async function memberRecordTargets(options: MemberRecordTargetOptions = {}): Promise<FuzzSuite> {
  const real = await loadPqc();
  const pqc = options.pqc ? options.pqc(real) : real;
  const now = Date.now();
  const ca = await createTrustDomainCa(TRUST_DOMAIN, { notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR) });
  const bundles = new Map([[TRUST_DOMAIN, [ca.certificate]]]);
  const recorded: Uint8Array[] = [];
  const claimKeys = new Map<string, Uint8Array>();
  const claims: Uint8Array[] = [];
  for (const [name, incarnation] of [['a', 1n], ['b', 7n]] as const) {
    const spiffeId = `spiffe://${TRUST_DOMAIN}/node/${name}`;
    const credentials = await nodeCredentials(ca, spiffeId);
    const mldsa = real.mldsa65.keypair();
    const svidKey = createPrivateKey({ key: Buffer.from(credentials.privateKey), format: 'der', type: 'pkcs8' });
    const binding = encodeNodeRecord({ spiffeId, mldsaPublicKey: mldsa.publicKey, notAfter: credentials.expiresAt }, svidKey);
    recorded.push(
      encodeMemberRecord(
        { spiffeId, addresses: [`127.0.0.1:${7000 + Number(incarnation)}`, '[::1]:7400'], incarnation, state: name === 'a' ? 'alive' : 'left', issuedAt: now, kemPublicKey: xwingKeyPair(real.kem('ML-KEM-768')).publicKey },
        { chain: credentials.chain.map((certificate) => new Uint8Array(certificate.rawData)), binding, secretKey: mldsa.secretKey, signer: real.mldsa65 },
      ),
    );
    claimKeys.set(spiffeId, mldsa.publicKey);
    claims.push(
      encodeMemberClaim(
        { kind: name === 'a' ? 'suspect' : 'dead', subject: `spiffe://${TRUST_DOMAIN}/node/c`, incarnation, claimer: spiffeId, issuedAt: now },
        { secretKey: mldsa.secretKey, signer: real.mldsa65 },
      ),
    );
  }

  const target = asyncFuzzTarget(
    'member-record',
    bytesNear(recorded),
    async (bytes) => {
      let accepted: boolean;
      let outcome: string;
      try {
        await verifyMemberRecord(bytes, { bundles, authorize: (spiffeId) => spiffeId.startsWith(`spiffe://${TRUST_DOMAIN}/node/`), signer: pqc.mldsa65, now });
        accepted = true;
        outcome = 'accepted';
      } catch (error) {
        accepted = false;
        outcome = mustBeTyped(error, [MemberRecordError], 'verifyMemberRecord');
      }
      authenticIffRecorded(bytes, recorded, accepted, 'member record');
      return outcome;
    },
    hex,
  );
  const claimTarget = asyncFuzzTarget(
    'member-claim',
    bytesNear(claims),
    async (bytes) => {
      let accepted: boolean;
      let outcome: string;
      try {
        verifyMemberClaim(bytes, { keyOf: (id) => claimKeys.get(id), signer: pqc.mldsa65, now });
        accepted = true;
        outcome = 'accepted';
      } catch (error) {
        accepted = false;
        outcome = mustBeTyped(error, [MemberClaimError], 'verifyMemberClaim');
      }
      authenticIffRecorded(bytes, claims, accepted, 'member claim');
      return outcome;
    },
    hex,
  );
  return suiteOf([target, claimTarget]);
}
