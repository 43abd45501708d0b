/**
 * The hybrid key-exchange suites a session may negotiate, by wire identifier:
 *  1  X-Wing (ML-KEM-768 + X25519, draft-connolly-cfrg-xwing-kem-08): the default;
 *  2  ML-KEM-1024 + X25519, combined the TLS hybrid-design way: the shared secret is
 *     ss_ML-KEM ‖ ss_X25519, fed to HKDF with the transcript, which holds both public keys and
 *     both ciphertexts (draft-ietf-tls-hybrid-design §3.3).
 * and the signature algorithms: 1 ML-DSA-65.
 */
import { InvalidKeyMaterialError } from './crypto-errors.js';
import { KEM_SIZES, type Pqc } from './liboqs.js';
import { checkEncapsulationKey } from './mlkem-key-check.js';
import { x25519, x25519Generate, X25519_KEY_BYTES } from './x25519.js';
import { XWING_CIPHERTEXT_BYTES, XWING_PUBLIC_KEY_BYTES, xwingDecapsulate, xwingEncapsulate, xwingKeyPair } from './xwing.js';

import { SUITES, type SuiteName } from './pq-suite-ids.js';

export { DEFAULT_SUITES, SIGNATURE_ALGORITHMS, SUITES, type SignatureId, type SuiteId, type SuiteName } from './pq-suite-ids.js';

export function suiteName(id: number): SuiteName | undefined {
  return (Object.keys(SUITES) as SuiteName[]).find((name) => SUITES[name] === id);
}

export interface SuiteSizes {
  publicKey: number;
  ciphertext: number;
}

const M1024 = KEM_SIZES['ML-KEM-1024'];
export const SUITE_SIZES: Record<SuiteName, SuiteSizes> = {
  'x-wing': { publicKey: XWING_PUBLIC_KEY_BYTES, ciphertext: XWING_CIPHERTEXT_BYTES },
  'mlkem1024-x25519': { publicKey: M1024.publicKey + X25519_KEY_BYTES, ciphertext: M1024.ciphertext + X25519_KEY_BYTES },
};

/** An ephemeral key share: its public part goes on the wire; `decapsulate` turns the peer's ciphertext into the shared secret. */
export interface KeyShare {
  suite: SuiteName;
  publicKey: Uint8Array;
  decapsulate(ciphertext: Uint8Array): Uint8Array;
}

export function generateKeyShare(pqc: Pqc, suite: SuiteName): KeyShare {
  if (suite === 'x-wing') {
    const kem = pqc.kem('ML-KEM-768');
    const keyPair = xwingKeyPair(kem);
    return { suite, publicKey: keyPair.publicKey, decapsulate: (ciphertext) => xwingDecapsulate(kem, keyPair, ciphertext) };
  }
  const kem = pqc.kem('ML-KEM-1024');
  const { publicKey, secretKey } = kem.keypair();
  const x = x25519Generate();
  return {
    suite,
    publicKey: Buffer.concat([publicKey, x.publicKey]),
    decapsulate(ciphertext) {
      if (ciphertext.length !== SUITE_SIZES[suite].ciphertext) throw new InvalidKeyMaterialError(`a ${suite} ciphertext must be ${SUITE_SIZES[suite].ciphertext} bytes, is ${ciphertext.length}`);
      const ssM = kem.decapsulate(ciphertext.subarray(0, M1024.ciphertext), secretKey);
      return Buffer.concat([ssM, x25519(x.privateKey, ciphertext.subarray(M1024.ciphertext))]);
    },
  };
}

export function encapsulateTo(pqc: Pqc, suite: SuiteName, publicKey: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  if (publicKey.length !== SUITE_SIZES[suite].publicKey) throw new InvalidKeyMaterialError(`a ${suite} key share must be ${SUITE_SIZES[suite].publicKey} bytes, is ${publicKey.length}`);
  if (suite === 'x-wing') return xwingEncapsulate(pqc.kem('ML-KEM-768'), publicKey);
  const pkM = publicKey.subarray(0, M1024.publicKey);
  checkEncapsulationKey('ML-KEM-1024', pkM);
  const { ciphertext: ctM, sharedSecret: ssM } = pqc.kem('ML-KEM-1024').encapsulate(pkM);
  const ek = x25519Generate();
  return { ciphertext: Buffer.concat([ctM, ek.publicKey]), sharedSecret: Buffer.concat([ssM, x25519(ek.privateKey, publicKey.subarray(M1024.publicKey))]) };
}
