/**
 * Member claims as gossip carries them: a claim a member signed verifies at any node that holds the
 * claimer's key, whoever relayed it; every forgery a relay could try is refused with its reason: a
 * changed byte anywhere, a signature by another key, a claimer this node does not know; and inputs
 * too large, malformed (an unknown version or kind, an ID that is no workload's, a member claiming
 * about itself) or from the future are refused before any signature is checked.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPqc, type Pqc } from '../../../lib/crypto/liboqs.js';
import { encodeMemberClaim, MAX_MEMBER_CLAIM_BYTES, MemberClaimError, peekMemberClaim, verifyMemberClaim, type MemberClaim, type MemberClaimRefusal } from '../../../lib/mesh/member-claim.js';

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';

let pqc: Pqc;
let keys: Map<string, { publicKey: Uint8Array; secretKey: Uint8Array }>;

beforeAll(async () => {
  pqc = await loadPqc();
  keys = new Map([A, B].map((id) => [id, pqc.mldsa65.keypair()]));
});

const claim = (overrides: Partial<MemberClaim> = {}): MemberClaim => ({ kind: 'suspect', subject: C, incarnation: 1_764_500_000_000n, claimer: A, issuedAt: Date.now(), ...overrides });
const sign = (content: MemberClaim, secretKey = keys.get(content.claimer)!.secretKey) => encodeMemberClaim(content, { secretKey, signer: pqc.mldsa65 });
const verify = (bytes: Uint8Array, now = Date.now()) => verifyMemberClaim(bytes, { keyOf: (id) => keys.get(id)?.publicKey, signer: pqc.mldsa65, now });

function refusal(bytes: Uint8Array, now?: number): MemberClaimRefusal {
  try {
    verify(bytes, now);
  } catch (error) {
    expect(error).toBeInstanceOf(MemberClaimError);
    return (error as MemberClaimError).reason;
  }
  throw new Error('the forgery was accepted');
}

describe('member claims', () => {
  it('verify at any node holding the claimer key, both kinds, and read the same unverified', () => {
    for (const kind of ['suspect', 'dead'] as const) {
      const content = claim({ kind });
      const bytes = sign(content);
      expect(verify(bytes)).toEqual(content);
      expect(peekMemberClaim(bytes)).toEqual(content);
    }
  });

  it('refuse a claim with any byte changed after signing (every byte position)', () => {
    const bytes = sign(claim());
    for (let position = 0; position < bytes.length; position += position < 120 ? 1 : 97) {
      const tampered = Buffer.from(bytes);
      tampered[position]! ^= 0x01;
      expect(refusal(tampered), `byte ${position}`).toMatch(/malformed|signature|unknown-claimer|from-the-future/);
    }
  });

  it("refuse a relay's forgeries: a claim in A's name signed with B's key, and one from a claimer this node does not know", () => {
    expect(refusal(sign(claim(), keys.get(B)!.secretKey))).toBe('signature');
    expect(refusal(sign(claim({ claimer: 'spiffe://mesh.test/node/stranger' }), keys.get(A)!.secretKey))).toBe('unknown-claimer');
  });

  it('refuse before any signature: oversized, unknown version or kind, IDs that are no workload ID, a claim about the claimer itself, a time from the future', () => {
    expect(refusal(Buffer.alloc(MAX_MEMBER_CLAIM_BYTES + 1))).toBe('oversized');
    expect(refusal(Buffer.alloc(0))).toBe('malformed');
    const bytes = sign(claim());
    const badVersion = Buffer.from(bytes);
    badVersion[0] = 2;
    expect(refusal(badVersion)).toBe('malformed');
    const badKind = Buffer.from(bytes);
    badKind[1] = 7;
    expect(refusal(badKind)).toBe('malformed');
    expect(refusal(sign(claim({ subject: 'spiffe://mesh.test' })))).toBe('malformed');
    expect(refusal(sign(claim({ subject: 'not an id' })))).toBe('malformed');
    expect(refusal(sign(claim({ subject: A })))).toBe('malformed');
    expect(refusal(sign(claim({ issuedAt: Date.now() + 60_000 })))).toBe('from-the-future');
    expect(refusal(Buffer.concat([bytes, Buffer.from([0])]))).toBe('malformed');
  });
});
