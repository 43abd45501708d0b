/**
 * The known-answer self-test the node runs before anything else uses post-quantum code: every
 * algorithm of lib/crypto against published vectors (stored as data in vectors/):
 *  - X-Wing: the three-part vectors of draft-connolly-cfrg-xwing-kem-08 Appendix C (key from seed,
 *    encapsulation with a fixed eseed, decapsulation), which also pin ML-KEM-768 and X25519;
 *  - ML-KEM-768, ML-KEM-1024, ML-DSA-65: C2SP's accumulated vectors, whose single hash covers
 *    key generation, encapsulation, decapsulation (implicit rejection included), signing and
 *    verification over many seeds.
 * The first mismatch throws SelfTestError naming the algorithm; the CLI exits with
 * EXIT_SELF_TEST and that message.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SelfTestError } from './crypto-errors.js';
import { withInjectedRandomness } from './injected-randomness.js';
import { KEM_SIZES, type KemAlgorithm, type Pqc } from './liboqs.js';
import { xwingDecapsulate, xwingEncapsulate, xwingKeyPairFromSeed } from './xwing.js';

/** The vectors shipped in the source tree (the compiled module finds them from dist/). */
export const DEFAULT_VECTORS_DIR = fileURLToPath(new URL('../../../lib/crypto/vectors/', import.meta.url));

/** The published iteration counts: 100 at start (tens of milliseconds), 10 000 in the test suite. */
export type Iterations = 100 | 10_000;

interface AccumulatedVectors {
  mlkem: Record<KemAlgorithm, Record<string, string>>;
  mldsa: Record<'ML-DSA-65', Record<string, string>>;
}

interface XWingVector {
  name: string;
  sk: string;
  pk: string;
  eseed: string;
  ct: string;
  ss: string;
}

function readJson<T>(vectorsDir: string, file: string): T {
  return JSON.parse(readFileSync(join(vectorsDir, file), 'utf8')) as T;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A SHAKE-128 stream with empty input, read in order. */
function shake128Stream(length: number): { read(n: number): Uint8Array } {
  const bytes = createHash('shake128', { outputLength: length }).digest();
  let offset = 0;
  return {
    read(n) {
      const chunk = bytes.subarray(offset, offset + n);
      offset += n;
      return chunk;
    },
  };
}

export function selfTestXWing(pqc: Pqc, vectorsDir = DEFAULT_VECTORS_DIR): void {
  const kem = pqc.kem('ML-KEM-768');
  for (const vector of readJson<{ vectors: XWingVector[] }>(vectorsDir, 'xwing-draft-08.json').vectors) {
    const fail = (detail: string) => new SelfTestError('X-Wing (draft-connolly-cfrg-xwing-kem-08)', `${vector.name}: ${detail}`);
    const keyPair = xwingKeyPairFromSeed(kem, Buffer.from(vector.sk, 'hex'));
    if (hex(keyPair.publicKey) !== vector.pk) throw fail('the public key derived from the seed differs');
    const encapsulated = xwingEncapsulate(kem, keyPair.publicKey, Buffer.from(vector.eseed, 'hex'));
    if (hex(encapsulated.ciphertext) !== vector.ct) throw fail('the ciphertext differs');
    if (hex(encapsulated.sharedSecret) !== vector.ss) throw fail('the encapsulated shared secret differs');
    if (hex(xwingDecapsulate(kem, keyPair, Buffer.from(vector.ct, 'hex'))) !== vector.ss) throw fail('the decapsulated shared secret differs');
  }
}

export function selfTestMlKem(pqc: Pqc, algorithm: KemAlgorithm, iterations: Iterations, vectorsDir = DEFAULT_VECTORS_DIR): void {
  const expected = readJson<AccumulatedVectors>(vectorsDir, 'accumulated.json').mlkem[algorithm][String(iterations)];
  const kem = pqc.kem(algorithm);
  const sizes = KEM_SIZES[algorithm];
  const source = shake128Stream(iterations * (96 + sizes.ciphertext));
  const accumulator = createHash('shake128', { outputLength: 32 });
  for (let i = 0; i < iterations; i++) {
    const dz = source.read(64);
    const m = source.read(32);
    const invalid = source.read(sizes.ciphertext);
    const { publicKey, secretKey } = withInjectedRandomness(dz, () => kem.keypair()).result;
    const { ciphertext, sharedSecret } = withInjectedRandomness(m, () => kem.encapsulate(publicKey)).result;
    if (hex(kem.decapsulate(ciphertext, secretKey)) !== hex(sharedSecret)) throw new SelfTestError(algorithm, `test ${i}: decapsulation does not give the encapsulated secret`);
    accumulator.update(publicKey).update(secretKey).update(ciphertext).update(sharedSecret).update(kem.decapsulate(invalid, secretKey));
  }
  const got = accumulator.digest('hex');
  if (got !== expected) throw new SelfTestError(algorithm, `accumulated hash over ${iterations} tests is ${got}, expected ${expected}`);
}

export function selfTestMlDsa65(pqc: Pqc, iterations: Iterations, vectorsDir = DEFAULT_VECTORS_DIR): void {
  const expected = readJson<AccumulatedVectors>(vectorsDir, 'accumulated.json').mldsa['ML-DSA-65'][String(iterations)];
  const signer = pqc.mldsa65;
  const source = shake128Stream(iterations * 32);
  const accumulator = createHash('shake128', { outputLength: 32 });
  const empty = new Uint8Array(0);
  const zeroRandomness = new Uint8Array(32);
  for (let i = 0; i < iterations; i++) {
    const { publicKey, secretKey } = withInjectedRandomness(source.read(32), () => signer.keypair()).result;
    const signature = withInjectedRandomness(zeroRandomness, () => signer.sign(empty, secretKey)).result;
    if (!signer.verify(empty, signature, publicKey)) throw new SelfTestError('ML-DSA-65', `test ${i}: the signature does not verify`);
    accumulator.update(publicKey).update(signature);
  }
  const got = accumulator.digest('hex');
  if (got !== expected) throw new SelfTestError('ML-DSA-65', `accumulated hash over ${iterations} tests is ${got}, expected ${expected}`);
}

/** Everything, at the start-up size. */
export function runCryptoSelfTest(pqc: Pqc, options: { iterations?: Iterations; vectorsDir?: string } = {}): void {
  const { iterations = 100, vectorsDir = DEFAULT_VECTORS_DIR } = options;
  selfTestXWing(pqc, vectorsDir);
  selfTestMlKem(pqc, 'ML-KEM-768', iterations, vectorsDir);
  selfTestMlKem(pqc, 'ML-KEM-1024', iterations, vectorsDir);
  selfTestMlDsa65(pqc, iterations, vectorsDir);
}
