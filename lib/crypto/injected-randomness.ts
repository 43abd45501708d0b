/**
 * Known-answer tests need liboqs to draw the vector's seeds instead of fresh randomness, the way
 * NIST's and C2SP's vectors are produced (FIPS 203 KeyGen(d, z) and Encaps(m), FIPS 204
 * KeyGen(ξ) and the signing randomness rnd). liboqs-js draws its randomness through node:crypto's
 * randomFillSync, looked up at each call; within `withInjectedRandomness` that one function
 * returns the given bytes in order, and is restored before the call returns.
 *
 * Only the self-test and the tests use this; it runs synchronously, so no other code of the
 * thread can draw randomness meanwhile. A library change that stops routing randomness this way
 * makes the vectors fail, and the node refuse to start: never a silent pass.
 */
import nodeCrypto from 'node:crypto';

export class RandomnessExhaustedError extends Error {
  override readonly name = 'RandomnessExhaustedError';
}

export function withInjectedRandomness<T>(bytes: Uint8Array, run: () => T): { result: T; consumed: number } {
  const original = nodeCrypto.randomFillSync;
  let offset = 0;
  const injected = (<B extends NodeJS.ArrayBufferView>(buffer: B): B => {
    const view = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (offset + view.length > bytes.length) throw new RandomnessExhaustedError(`asked for ${view.length} bytes with ${bytes.length - offset} left`);
    view.set(bytes.subarray(offset, offset + view.length));
    offset += view.length;
    return buffer;
  }) as typeof nodeCrypto.randomFillSync;
  nodeCrypto.randomFillSync = injected;
  try {
    return { result: run(), consumed: offset };
  } finally {
    nodeCrypto.randomFillSync = original;
  }
}
