import { describe, expect, it } from 'vitest';
import { MLDSA65_SIZES } from '../../../lib/crypto/liboqs.js';
import { standInSigner } from '../../../lib/sim/stand-in-signer.js';
import { seededRandom } from '../../../lib/timing/seeded-random.js';

/** The simulation's kind of seeded byte source. */
function seededBytes(seed: number): (length: number) => Uint8Array {
  const random = seededRandom(seed);
  return (length) => Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

const message = new TextEncoder().encode('member record of node 7, incarnation 3');

describe('standInSigner', () => {
  it('claims ML-DSA-65 and gives keys and signatures of its sizes', () => {
    const signer = standInSigner(seededBytes(1));
    expect(signer.algorithm).toBe('ML-DSA-65');
    const { publicKey, secretKey } = signer.keypair();
    expect(publicKey).toHaveLength(MLDSA65_SIZES.publicKey);
    expect(secretKey).toHaveLength(MLDSA65_SIZES.secretKey);
    expect(signer.sign(message, secretKey)).toHaveLength(MLDSA65_SIZES.signature);
  });

  it('gives the same key pairs for the same seed bytes', () => {
    const first = standInSigner(seededBytes(42));
    const second = standInSigner(seededBytes(42));
    const pairs = (signer: ReturnType<typeof standInSigner>) => Array.from({ length: 3 }, () => signer.keypair());
    expect(pairs(first)).toEqual(pairs(second));
  });

  it('gives another key pair for other seed bytes, and each new key pair differs', () => {
    const signer = standInSigner(seededBytes(42));
    const a = signer.keypair();
    const b = signer.keypair();
    const c = standInSigner(seededBytes(43)).keypair();
    expect(b.publicKey).not.toEqual(a.publicKey);
    expect(c.publicKey).not.toEqual(a.publicKey);
    expect(b.secretKey).not.toEqual(a.secretKey);
  });

  it('signs the same message under the same key with the same bytes', () => {
    const { secretKey } = standInSigner(seededBytes(5)).keypair();
    const again = standInSigner(seededBytes(5)).keypair().secretKey;
    const signer = standInSigner(seededBytes(6));
    expect(signer.sign(message, secretKey)).toEqual(signer.sign(message, again));
  });

  it('verifies its own signature under the matching public key', () => {
    const signer = standInSigner(seededBytes(7));
    const { publicKey, secretKey } = signer.keypair();
    expect(signer.verify(message, signer.sign(message, secretKey), publicKey)).toBe(true);
    const empty = new Uint8Array(0);
    expect(signer.verify(empty, signer.sign(empty, secretKey), publicKey)).toBe(true);
  });

  it("refuses a signature under another node's key", () => {
    const signer = standInSigner(seededBytes(8));
    const mine = signer.keypair();
    const theirs = signer.keypair();
    const signature = signer.sign(message, mine.secretKey);
    expect(signer.verify(message, signature, theirs.publicKey)).toBe(false);
    expect(signer.verify(message, signer.sign(message, theirs.secretKey), mine.publicKey)).toBe(false);
  });

  it('refuses a tampered message', () => {
    const signer = standInSigner(seededBytes(9));
    const { publicKey, secretKey } = signer.keypair();
    const signature = signer.sign(message, secretKey);
    const tampered = Uint8Array.from(message);
    tampered[0] = tampered[0]! ^ 1;
    expect(signer.verify(tampered, signature, publicKey)).toBe(false);
    expect(signer.verify(message.subarray(1), signature, publicKey)).toBe(false);
  });

  it('refuses a tampered signature and garbage', () => {
    const signer = standInSigner(seededBytes(10));
    const { publicKey, secretKey } = signer.keypair();
    const signature = signer.sign(message, secretKey);
    for (const index of [0, 15, 31, 32, 3308]) {
      const tampered = Uint8Array.from(signature);
      tampered[index] = tampered[index]! ^ 0x80;
      expect(signer.verify(message, tampered, publicKey)).toBe(false);
    }
    expect(signer.verify(message, new Uint8Array(MLDSA65_SIZES.signature), publicKey)).toBe(false);
    expect(signer.verify(message, seededBytes(99)(MLDSA65_SIZES.signature), publicKey)).toBe(false);
  });

  it('answers false, without throwing, for a signature or public key of the wrong size', () => {
    const signer = standInSigner(seededBytes(11));
    const { publicKey, secretKey } = signer.keypair();
    const signature = signer.sign(message, secretKey);
    expect(signer.verify(message, signature.subarray(0, MLDSA65_SIZES.signature - 1), publicKey)).toBe(false);
    expect(signer.verify(message, Uint8Array.from([...signature, 0]), publicKey)).toBe(false);
    expect(signer.verify(message, signature.subarray(0, 32), publicKey)).toBe(false);
    expect(signer.verify(message, new Uint8Array(0), publicKey)).toBe(false);
    expect(signer.verify(message, signature, publicKey.subarray(0, MLDSA65_SIZES.publicKey - 1))).toBe(false);
    expect(signer.verify(message, signature, Uint8Array.from([...publicKey, 0]))).toBe(false);
    expect(signer.verify(message, signature, new Uint8Array(0))).toBe(false);
  });

  it('throws a RangeError when signing with a secret key of the wrong size', () => {
    const signer = standInSigner(seededBytes(12));
    const { publicKey, secretKey } = signer.keypair();
    expect(() => signer.sign(message, secretKey.subarray(0, MLDSA65_SIZES.secretKey - 1))).toThrow(RangeError);
    expect(() => signer.sign(message, Uint8Array.from([...secretKey, 0]))).toThrow(RangeError);
    expect(() => signer.sign(message, new Uint8Array(32))).toThrow(RangeError);
    expect(() => signer.sign(message, publicKey)).toThrow(RangeError);
  });
});
