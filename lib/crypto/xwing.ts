/**
 * X-Wing, the hybrid KEM of ML-KEM-768 and X25519, exactly as draft-connolly-cfrg-xwing-kem-08
 * defines it (pinned: earlier drafts put the label first in the combiner; this one hashes
 * ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ label with SHA3-256). Its test vectors (Appendix C) are part of the
 * self-test.
 *
 * Why X-Wing for the default suite: it is a published, proven combiner (IND-CCA if either
 * ML-KEM-768 or X25519 holds) that needs no transcript of its own, fixed sizes (1216-byte keys,
 * 1120-byte ciphertexts), and interoperable vectors. ML-KEM-1024 has no X-Wing; its suite uses the
 * TLS hybrid-design concatenation instead (hybrid-kem.ts).
 *
 * Keys: a fresh key pair comes from liboqs's own key generation and a fresh X25519 key, kept
 * expanded (the draft allows caching the expanded form). A 32-byte seed is expanded with
 * SHAKE-256 as the draft says; that path feeds the seed's halves to liboqs as its randomness
 * (injected-randomness.ts) and serves the known-answer test.
 */
import { createHash } from 'node:crypto';
import { InvalidKeyMaterialError } from './crypto-errors.js';
import { withInjectedRandomness } from './injected-randomness.js';
import { KEM_SIZES, type Kem } from './liboqs.js';
import { checkEncapsulationKey } from './mlkem-key-check.js';
import { x25519, x25519FromSecret, x25519Generate, type X25519KeyPair } from './x25519.js';

/** "\.//^\" */
export const XWING_LABEL = Buffer.from('5c2e2f2f5e5c', 'hex');
const M = KEM_SIZES['ML-KEM-768'];
export const XWING_PUBLIC_KEY_BYTES = M.publicKey + 32;
export const XWING_CIPHERTEXT_BYTES = M.ciphertext + 32;

export interface XWingKeyPair {
  publicKey: Uint8Array;
  /** Expanded: ML-KEM-768 decapsulation key, X25519 key pair. */
  decapsulationKey: { skM: Uint8Array; x: X25519KeyPair };
}

function combiner(ssM: Uint8Array, ssX: Uint8Array, ctX: Uint8Array, pkX: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha3-256').update(ssM).update(ssX).update(ctX).update(pkX).update(XWING_LABEL).digest());
}

function assemble(pkM: Uint8Array, skM: Uint8Array, x: X25519KeyPair): XWingKeyPair {
  return { publicKey: Buffer.concat([pkM, x.publicKey]), decapsulationKey: { skM, x } };
}

export function xwingKeyPair(mlkem768: Kem): XWingKeyPair {
  const { publicKey, secretKey } = mlkem768.keypair();
  return assemble(publicKey, secretKey, x25519Generate());
}

/** The draft's key derivation from a 32-byte seed (§5.2), for known answers. */
export function xwingKeyPairFromSeed(mlkem768: Kem, seed: Uint8Array): XWingKeyPair {
  if (seed.length !== 32) throw new InvalidKeyMaterialError(`an X-Wing seed must be 32 bytes, is ${seed.length}`);
  const expanded = createHash('shake256', { outputLength: 96 }).update(seed).digest();
  const { result } = withInjectedRandomness(expanded.subarray(0, 64), () => mlkem768.keypair());
  return assemble(result.publicKey, result.secretKey, x25519FromSecret(expanded.subarray(64, 96)));
}

function splitPublicKey(publicKey: Uint8Array): { pkM: Uint8Array; pkX: Uint8Array } {
  if (publicKey.length !== XWING_PUBLIC_KEY_BYTES) throw new InvalidKeyMaterialError(`an X-Wing public key must be ${XWING_PUBLIC_KEY_BYTES} bytes, is ${publicKey.length}`);
  const pkM = publicKey.subarray(0, M.publicKey);
  checkEncapsulationKey('ML-KEM-768', pkM);
  return { pkM, pkX: publicKey.subarray(M.publicKey) };
}

export function xwingEncapsulate(mlkem768: Kem, publicKey: Uint8Array, eseed?: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  const { pkM, pkX } = splitPublicKey(publicKey);
  if (eseed !== undefined && eseed.length !== 64) throw new InvalidKeyMaterialError(`an X-Wing eseed must be 64 bytes, is ${eseed.length}`);
  const ek = eseed ? x25519FromSecret(eseed.subarray(32, 64)) : x25519Generate();
  const ctX = ek.publicKey;
  const ssX = x25519(ek.privateKey, pkX);
  const { ciphertext: ctM, sharedSecret: ssM } = eseed
    ? withInjectedRandomness(eseed.subarray(0, 32), () => mlkem768.encapsulate(pkM)).result
    : mlkem768.encapsulate(pkM);
  return { ciphertext: Buffer.concat([ctM, ctX]), sharedSecret: combiner(ssM, ssX, ctX, pkX) };
}

export function xwingDecapsulate(mlkem768: Kem, keyPair: XWingKeyPair, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length !== XWING_CIPHERTEXT_BYTES) throw new InvalidKeyMaterialError(`an X-Wing ciphertext must be ${XWING_CIPHERTEXT_BYTES} bytes, is ${ciphertext.length}`);
  const ctM = ciphertext.subarray(0, M.ciphertext);
  const ctX = ciphertext.subarray(M.ciphertext);
  const { skM, x } = keyPair.decapsulationKey;
  const ssM = mlkem768.decapsulate(ctM, skM);
  const ssX = x25519(x.privateKey, ctX);
  return combiner(ssM, ssX, ctX, x.publicKey);
}
