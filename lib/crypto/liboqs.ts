/**
 * liboqs through the Open Quantum Safe project's own WebAssembly build (@oqs/liboqs-js): ML-KEM-768,
 * ML-KEM-1024 and ML-DSA-65, the only post-quantum code the node runs. There is no other
 * implementation and no fallback: if liboqs does not load, or fails its known-answer self-test
 * (self-test.ts), the node does not start.
 *
 * Each algorithm is one WASM instance per thread, created on first use. Operations are synchronous.
 */
import { createMLDSA65, createMLKEM1024, createMLKEM768 } from '@oqs/liboqs-js';
import { InvalidKeyMaterialError, PqcOperationError } from './crypto-errors.js';

export type KemAlgorithm = 'ML-KEM-768' | 'ML-KEM-1024';

export interface KemSizes {
  publicKey: number;
  secretKey: number;
  ciphertext: number;
  sharedSecret: number;
}

/** FIPS 203 Table 3. */
export const KEM_SIZES: Record<KemAlgorithm, KemSizes> = {
  'ML-KEM-768': { publicKey: 1184, secretKey: 2400, ciphertext: 1088, sharedSecret: 32 },
  'ML-KEM-1024': { publicKey: 1568, secretKey: 3168, ciphertext: 1568, sharedSecret: 32 },
};

/** FIPS 204 Table 2. */
export const MLDSA65_SIZES = { publicKey: 1952, secretKey: 4032, signature: 3309 } as const;

export interface Kem {
  readonly algorithm: KemAlgorithm;
  keypair(): { publicKey: Uint8Array; secretKey: Uint8Array };
  encapsulate(publicKey: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

export interface Signer {
  readonly algorithm: 'ML-DSA-65';
  keypair(): { publicKey: Uint8Array; secretKey: Uint8Array };
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}

interface OqsKem {
  generateKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array };
  encapsulate(publicKey: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

interface OqsSig {
  generateKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array };
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}

/** liboqs-js accepts only plain Uint8Arrays (it checks the constructor's name): a Buffer is viewed as one, without copying. */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function exactLength(what: string, value: Uint8Array, length: number): void {
  if (value.length !== length) throw new InvalidKeyMaterialError(`${what} must be ${length} bytes, is ${value.length}`);
}

function guarded<T>(algorithm: string, operation: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof InvalidKeyMaterialError) throw error;
    throw new PqcOperationError(`${algorithm} ${operation} failed in liboqs: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function wrapKem(algorithm: KemAlgorithm, oqs: OqsKem): Kem {
  const sizes = KEM_SIZES[algorithm];
  return {
    algorithm,
    keypair: () => guarded(algorithm, 'key generation', () => oqs.generateKeyPair()),
    encapsulate(publicKey) {
      exactLength(`an ${algorithm} public key`, publicKey, sizes.publicKey);
      return guarded(algorithm, 'encapsulation', () => oqs.encapsulate(plain(publicKey)));
    },
    decapsulate(ciphertext, secretKey) {
      exactLength(`an ${algorithm} ciphertext`, ciphertext, sizes.ciphertext);
      exactLength(`an ${algorithm} secret key`, secretKey, sizes.secretKey);
      return guarded(algorithm, 'decapsulation', () => oqs.decapsulate(plain(ciphertext), plain(secretKey)));
    },
  };
}

function wrapSigner(oqs: OqsSig): Signer {
  const algorithm = 'ML-DSA-65';
  return {
    algorithm,
    keypair: () => guarded(algorithm, 'key generation', () => oqs.generateKeyPair()),
    sign(message, secretKey) {
      exactLength('an ML-DSA-65 secret key', secretKey, MLDSA65_SIZES.secretKey);
      return guarded(algorithm, 'signing', () => oqs.sign(plain(message), plain(secretKey)));
    },
    verify(message, signature, publicKey) {
      // A signature or key of the wrong size is simply not valid: the caller gets false, not a throw.
      if (signature.length !== MLDSA65_SIZES.signature || publicKey.length !== MLDSA65_SIZES.publicKey) return false;
      return guarded(algorithm, 'verification', () => oqs.verify(plain(message), plain(signature), plain(publicKey)));
    },
  };
}

export interface Pqc {
  kem(algorithm: KemAlgorithm): Kem;
  mldsa65: Signer;
}

let loading: Promise<Pqc> | undefined;

/** This thread's liboqs instances (created once; the first call loads the WASM modules). */
export function loadPqc(): Promise<Pqc> {
  loading ??= (async () => {
    const [mlkem768, mlkem1024, mldsa65] = await Promise.all([createMLKEM768(), createMLKEM1024(), createMLDSA65()]);
    const kems: Record<KemAlgorithm, Kem> = {
      'ML-KEM-768': wrapKem('ML-KEM-768', mlkem768 as unknown as OqsKem),
      'ML-KEM-1024': wrapKem('ML-KEM-1024', mlkem1024 as unknown as OqsKem),
    };
    return { kem: (algorithm) => kems[algorithm], mldsa65: wrapSigner(mldsa65 as unknown as OqsSig) };
  })();
  return loading;
}
