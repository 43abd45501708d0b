/**
 * X-Wing and its parts on their own: round trips, the FIPS 203 encapsulation-key check, implicit
 * rejection of a changed ciphertext, and typed errors for every malformed input.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidKeyMaterialError, PqcOperationError } from '../../../lib/crypto/crypto-errors.js';
import { KEM_SIZES, loadPqc, type Pqc } from '../../../lib/crypto/liboqs.js';
import { checkEncapsulationKey } from '../../../lib/crypto/mlkem-key-check.js';
import { x25519, x25519FromSecret, x25519Generate } from '../../../lib/crypto/x25519.js';
import { XWING_CIPHERTEXT_BYTES, XWING_PUBLIC_KEY_BYTES, xwingDecapsulate, xwingEncapsulate, xwingKeyPair } from '../../../lib/crypto/xwing.js';

let pqc: Pqc;
beforeAll(async () => {
  pqc = await loadPqc();
});

describe('X-Wing (draft-08)', () => {
  it('agrees on a secret, and a changed ciphertext gives another (implicit rejection, no error)', () => {
    const kem = pqc.kem('ML-KEM-768');
    const keyPair = xwingKeyPair(kem);
    expect(keyPair.publicKey.length).toBe(XWING_PUBLIC_KEY_BYTES);
    const { ciphertext, sharedSecret } = xwingEncapsulate(kem, keyPair.publicKey);
    expect(ciphertext.length).toBe(XWING_CIPHERTEXT_BYTES);
    expect(Buffer.from(xwingDecapsulate(kem, keyPair, ciphertext))).toEqual(Buffer.from(sharedSecret));
    const changed = Uint8Array.from(ciphertext);
    changed[10]! ^= 1;
    expect(Buffer.from(xwingDecapsulate(kem, keyPair, changed))).not.toEqual(Buffer.from(sharedSecret));
  });

  it('refuses malformed keys and ciphertexts with typed errors', () => {
    const kem = pqc.kem('ML-KEM-768');
    const keyPair = xwingKeyPair(kem);
    expect(() => xwingEncapsulate(kem, keyPair.publicKey.subarray(1))).toThrow(InvalidKeyMaterialError);
    expect(() => xwingEncapsulate(kem, keyPair.publicKey, new Uint8Array(63))).toThrow(/eseed must be 64 bytes/);
    expect(() => xwingDecapsulate(kem, keyPair, new Uint8Array(XWING_CIPHERTEXT_BYTES - 1))).toThrow(InvalidKeyMaterialError);
    // A key whose first coefficient is q: fails the modulus check before liboqs sees it.
    const bad = Uint8Array.from(keyPair.publicKey);
    bad[0] = 0x01;
    bad[1] = (bad[1]! & 0xf0) | 0x0d;
    expect(() => xwingEncapsulate(kem, bad)).toThrow(/modulus check: coefficient 0 is 3329/);
    // The all-zero X25519 point is of low order: the X25519 half refuses it.
    const lowOrder = Uint8Array.from(keyPair.publicKey);
    lowOrder.fill(0, KEM_SIZES['ML-KEM-768'].publicKey);
    expect(() => xwingEncapsulate(kem, lowOrder)).toThrow(InvalidKeyMaterialError);
  });
});

describe('FIPS 203 encapsulation-key check', () => {
  it('passes real keys of both parameter sets, refuses wrong lengths and coefficients at or above q', () => {
    for (const algorithm of ['ML-KEM-768', 'ML-KEM-1024'] as const) {
      const { publicKey } = pqc.kem(algorithm).keypair();
      expect(() => checkEncapsulationKey(algorithm, publicKey)).not.toThrow();
      expect(() => checkEncapsulationKey(algorithm, publicKey.subarray(0, 100))).toThrow(/must be/);
      const high = Uint8Array.from(publicKey);
      high.fill(0xff, 3, 6); // the second triple of bytes: coefficients 2 and 3 both 4095
      expect(() => checkEncapsulationKey(algorithm, high)).toThrow(/coefficient 2 is 4095/);
    }
  });

  it('is what liboqs also enforces: a key failing it is refused by encapsulation too', () => {
    const kem = pqc.kem('ML-KEM-768');
    const { publicKey } = kem.keypair();
    const high = Uint8Array.from(publicKey);
    high.fill(0xff, 0, 3);
    expect(() => kem.encapsulate(high)).toThrow(PqcOperationError);
  });
});

describe('liboqs wrapper', () => {
  it('checks lengths and answers false for malformed signatures', () => {
    const kem = pqc.kem('ML-KEM-1024');
    const { publicKey, secretKey } = kem.keypair();
    const { ciphertext, sharedSecret } = kem.encapsulate(publicKey);
    expect(Buffer.from(kem.decapsulate(ciphertext, secretKey))).toEqual(Buffer.from(sharedSecret));
    expect(() => kem.encapsulate(publicKey.subarray(1))).toThrow(InvalidKeyMaterialError);
    expect(() => kem.decapsulate(ciphertext.subarray(1), secretKey)).toThrow(InvalidKeyMaterialError);
    expect(() => kem.decapsulate(ciphertext, secretKey.subarray(1))).toThrow(InvalidKeyMaterialError);
    const signer = pqc.mldsa65;
    const keys = signer.keypair();
    const message = Buffer.from('node record');
    const signature = signer.sign(message, keys.secretKey);
    expect(signer.verify(message, signature, keys.publicKey)).toBe(true);
    expect(signer.verify(Buffer.from('another'), signature, keys.publicKey)).toBe(false);
    expect(signer.verify(message, signature.subarray(1), keys.publicKey)).toBe(false);
    expect(signer.verify(message, signature, keys.publicKey.subarray(1))).toBe(false);
    expect(() => signer.sign(message, keys.secretKey.subarray(1))).toThrow(InvalidKeyMaterialError);
  });
});

describe('X25519', () => {
  it('agrees both ways, derives the same public key from a raw secret, and refuses keys of the wrong length', () => {
    const a = x25519Generate();
    const b = x25519Generate();
    expect(Buffer.from(x25519(a.privateKey, b.publicKey))).toEqual(Buffer.from(x25519(b.privateKey, a.publicKey)));
    // RFC 7748 §6.1: Alice's private key and public key.
    const alice = x25519FromSecret(Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex'));
    expect(Buffer.from(alice.publicKey).toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(() => x25519(a.privateKey, new Uint8Array(31))).toThrow(InvalidKeyMaterialError);
    expect(() => x25519FromSecret(new Uint8Array(33))).toThrow(InvalidKeyMaterialError);
  });
});
