/**
 * End-to-end sessions as forwarders carry them: an opening from A to B gives both the same keys,
 * data and acks round-trip, and every forgery a forwarder could try is refused with its reason: a
 * changed byte anywhere in the opening (signature) or in a sealed body or its associated data
 * (authentication); the opening replayed for another destination, origin or session id, signed by
 * another key, or encapsulated to another destination's key (signature); a data body opened as an
 * ack and the reverse, or at another seq (authentication); openings of the wrong length refused
 * before any cryptography (malformed); a signed opening that does not decapsulate (decapsulation).
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPqc, type Pqc } from '../../../lib/crypto/liboqs.js';
import { WireWriter } from '../../../lib/crypto/wire.js';
import { XWING_CIPHERTEXT_BYTES, xwingEncapsulate, xwingKeyPair, type XWingKeyPair } from '../../../lib/crypto/xwing.js';
import {
  acceptSession,
  E2E_TAG_BYTES,
  EndToEndError,
  MAX_E2E_SEQ,
  openAck,
  openData,
  openSession,
  OPENING_BYTES,
  SESSION_ID_BYTES,
  sealAck,
  sealData,
  type AcceptSessionOptions,
  type EndToEndRefusal,
  type SessionKeys,
} from '../../../lib/mesh/e2e-session.js';

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';

let pqc: Pqc;
let signing: Map<string, { publicKey: Uint8Array; secretKey: Uint8Array }>;
let kem: Map<string, XWingKeyPair>;

beforeAll(async () => {
  pqc = await loadPqc();
  signing = new Map([A, C].map((id) => [id, pqc.mldsa65.keypair()]));
  kem = new Map([B, C].map((id) => [id, xwingKeyPair(pqc.kem('ML-KEM-768'))]));
});

const sessionId = (fill: number) => Buffer.alloc(SESSION_ID_BYTES, fill);
const SID = sessionId(7);

/** A's session to B (or what the overrides say). */
function open(overrides: { origin?: string; destination?: string; sessionId?: Uint8Array; kemOf?: string; signedBy?: string } = {}) {
  const origin = overrides.origin ?? A;
  const destination = overrides.destination ?? B;
  return openSession({
    pqc,
    origin,
    destination,
    sessionId: overrides.sessionId ?? SID,
    destinationKemPublicKey: kem.get(overrides.kemOf ?? destination)!.publicKey,
    originSigningSecretKey: signing.get(overrides.signedBy ?? origin)!.secretKey,
  });
}

/** B accepting an opening claimed to come from A in session SID (or what the overrides say). */
function accept(opening: Uint8Array, overrides: Partial<AcceptSessionOptions> & { at?: string } = {}): SessionKeys {
  const { at, ...rest } = overrides;
  return acceptSession({ pqc, origin: A, destination: at ?? B, sessionId: SID, opening, destinationKemKeyPair: kem.get(at ?? B)!, originSigningPublicKey: signing.get(A)!.publicKey, ...rest });
}

function refusal(run: () => unknown): EndToEndRefusal {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EndToEndError);
    return (error as EndToEndError).reason;
  }
  throw new Error('the forgery was accepted');
}

const AAD = Buffer.from('the envelope fields');
const flipped = (bytes: Uint8Array, position: number): Buffer => {
  const copy = Buffer.from(bytes);
  copy[position]! ^= 0x01;
  return copy;
};

describe('end-to-end sessions', () => {
  it('give origin and destination the same keys: data and acks round-trip, at the advertised sizes', () => {
    const { opening, keys } = open();
    expect(opening.length).toBe(OPENING_BYTES);
    expect(OPENING_BYTES).toBe(1120 + 3309);
    const accepted = accept(opening);
    const plaintext = Buffer.from('a message for B only');
    const sealed = sealData(keys, 0, AAD, plaintext);
    expect(sealed.length).toBe(plaintext.length + E2E_TAG_BYTES);
    expect(openData(accepted, 0, AAD, sealed)).toEqual(plaintext);
    expect(openAck(keys, 5, AAD, sealAck(accepted, 5, AAD, Buffer.from('up to 0')))).toEqual(Buffer.from('up to 0'));
    expect(openData(accepted, MAX_E2E_SEQ, AAD, sealData(keys, MAX_E2E_SEQ, AAD, Buffer.alloc(0)))).toEqual(Buffer.alloc(0));
    // The same opening accepted again gives the same keys (a replay within the session changes nothing).
    expect(openData(accept(opening), 0, AAD, sealed)).toEqual(plaintext);
  });

  it('give every opening fresh keys, even for the same pair and session id', () => {
    const first = open();
    const second = open();
    expect(Buffer.from(second.opening)).not.toEqual(Buffer.from(first.opening));
    expect(refusal(() => openData(accept(second.opening), 0, AAD, sealData(first.keys, 0, AAD, Buffer.from('x'))))).toBe('authentication');
  });

  it('refuse an opening with any byte flipped, ciphertext or signature, by its signature', () => {
    const { opening } = open();
    for (let position = 0; position < opening.length; position += position < 64 || (position > XWING_CIPHERTEXT_BYTES - 32 && position < XWING_CIPHERTEXT_BYTES + 64) ? 1 : 53) {
      expect(refusal(() => accept(flipped(opening, position))), `byte ${position}`).toBe('signature');
    }
  });

  it('refuse an opening replayed for another destination, origin or session id, or signed by another key', () => {
    const { opening } = open();
    // To C, with C's own KEM key: C is not the destination A signed for.
    expect(refusal(() => accept(opening, { at: C }))).toBe('signature');
    // B's key but another destination's name, and the reverse.
    expect(refusal(() => accept(opening, { destination: C }))).toBe('signature');
    expect(refusal(() => accept(opening, { destinationKemKeyPair: kem.get(C)! }))).toBe('signature');
    // Claimed to be C's (with C's key), or A's checked with C's key.
    expect(refusal(() => accept(opening, { origin: C, originSigningPublicKey: signing.get(C)!.publicKey }))).toBe('signature');
    expect(refusal(() => accept(opening, { originSigningPublicKey: signing.get(C)!.publicKey }))).toBe('signature');
    expect(refusal(() => accept(opening, { sessionId: sessionId(8) }))).toBe('signature');
    // C signing an opening in A's name.
    expect(refusal(() => accept(open({ signedBy: C }).opening))).toBe('signature');
  });

  it("refuse a ciphertext encapsulated to another destination's KEM key, signed or spliced", () => {
    // A (or a confused caller) encapsulating to C's key while naming B: the key hash in the transcript differs.
    expect(refusal(() => accept(open({ kemOf: C }).opening))).toBe('signature');
    // A forwarder splicing the ciphertext of A's opening to C onto the signature of A's opening to B.
    const toB = open().opening;
    const toC = open({ destination: C }).opening;
    const spliced = Buffer.concat([toC.subarray(0, XWING_CIPHERTEXT_BYTES), toB.subarray(XWING_CIPHERTEXT_BYTES)]);
    expect(refusal(() => accept(spliced))).toBe('signature');
  });

  it('refuse an opening of any other length, or a session id of another, before any cryptography', () => {
    const untouchable = new Proxy({} as Pqc, {
      get() {
        throw new Error('cryptography was used');
      },
    });
    const { opening } = open();
    for (const bad of [Buffer.alloc(0), opening.subarray(1), Buffer.concat([opening, Buffer.alloc(1)]), Buffer.alloc(OPENING_BYTES * 4)]) {
      expect(refusal(() => accept(bad, { pqc: untouchable }))).toBe('malformed');
    }
    expect(refusal(() => accept(opening, { pqc: untouchable, sessionId: Buffer.alloc(SESSION_ID_BYTES - 1) }))).toBe('malformed');
    expect(() => open({ sessionId: Buffer.alloc(SESSION_ID_BYTES + 1) })).toThrow(RangeError);
  });

  it('refuse, by decapsulation, a signed opening whose X25519 half is a low-order point (only the origin could sign one)', () => {
    // The transcript exactly as the module's header lays it out: the signature verifies, the decapsulation refuses.
    const { ciphertext } = xwingEncapsulate(pqc.kem('ML-KEM-768'), kem.get(B)!.publicKey);
    const lowOrder = Buffer.from(ciphertext);
    lowOrder.fill(0, XWING_CIPHERTEXT_BYTES - 32);
    const transcript = new WireWriter()
      .fixed(Buffer.from('x0tta6bl4 mesh e2e opening v1\0'))
      .vector16(Buffer.from(A))
      .vector16(Buffer.from(B))
      .fixed(SID)
      .fixed(lowOrder)
      .fixed(createHash('sha256').update(kem.get(B)!.publicKey).digest())
      .finish();
    const signature = pqc.mldsa65.sign(transcript, signing.get(A)!.secretKey);
    expect(refusal(() => accept(Buffer.concat([lowOrder, signature])))).toBe('decapsulation');
  });

  describe('sealed bodies', () => {
    let keys: SessionKeys;
    let accepted: SessionKeys;
    beforeAll(() => {
      const session = open();
      keys = session.keys;
      accepted = accept(session.opening);
    });
    const plaintext = Buffer.from('topic and payload of message 42');

    it('refuse a flipped byte anywhere in the ciphertext, the tag or the associated data', () => {
      const sealed = sealData(keys, 42, AAD, plaintext);
      for (let position = 0; position < sealed.length; position++) {
        expect(refusal(() => openData(accepted, 42, AAD, flipped(sealed, position))), `body byte ${position}`).toBe('authentication');
      }
      for (let position = 0; position < AAD.length; position++) {
        expect(refusal(() => openData(accepted, 42, flipped(AAD, position), sealed)), `aad byte ${position}`).toBe('authentication');
      }
      expect(refusal(() => openData(accepted, 42, Buffer.concat([AAD, Buffer.alloc(1)]), sealed))).toBe('authentication');
      expect(refusal(() => openData(accepted, 42, AAD, Buffer.concat([sealed, Buffer.alloc(1)])))).toBe('authentication');
      expect(refusal(() => openData(accepted, 42, AAD, sealed.subarray(1)))).toBe('authentication');
      expect(refusal(() => openData(accepted, 42, AAD, sealed.subarray(0, E2E_TAG_BYTES - 1)))).toBe('malformed');
    });

    it('refuse a body moved to another seq, a data body opened as an ack and the reverse', () => {
      const data = sealData(keys, 42, AAD, plaintext);
      expect(refusal(() => openData(accepted, 43, AAD, data))).toBe('authentication');
      expect(refusal(() => openData(accepted, 42 + 2 ** 40, AAD, data))).toBe('authentication');
      expect(refusal(() => openAck(accepted, 42, AAD, data))).toBe('authentication');
      expect(refusal(() => openAck(keys, 42, AAD, data))).toBe('authentication');
      const ack = sealAck(accepted, 42, AAD, plaintext);
      expect(refusal(() => openData(accepted, 42, AAD, ack))).toBe('authentication');
      expect(refusal(() => openData(keys, 42, AAD, ack))).toBe('authentication');
      expect(openAck(keys, 42, AAD, ack)).toEqual(plaintext);
    });

    it('refuse a seq that is no u48', () => {
      for (const seq of [-1, 1.5, MAX_E2E_SEQ + 1, Number.NaN]) {
        expect(() => sealData(keys, seq, AAD, plaintext)).toThrow(RangeError);
        expect(() => openData(accepted, seq, AAD, Buffer.alloc(E2E_TAG_BYTES))).toThrow(RangeError);
      }
    });
  });
});
