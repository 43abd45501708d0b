/**
 * The deterministic simulation's stand-in for ML-DSA-65, behind the node's Signer interface and with
 * its sizes, so that every codec, table and bound of the mesh code runs as it does on liboqs.
 *
 * NOT A SIGNATURE SCHEME. The public key carries the tag the "signature" is computed with, so anyone
 * holding a public key can make signatures under it. It exists because the simulation needs what
 * liboqs cannot give it: the same bytes for the same seed (liboqs draws fresh randomness) and a
 * million verifications of member records in seconds (ML-DSA-65 in WebAssembly takes about half a
 * millisecond each). It tells an honest simulated node's signature from garbage and from another
 * node's, which is all the simulation, whose nodes are all honest, asks of it. The node never loads
 * it: only the simulation (actors/peer-link/sim/) imports this file, and scripts/layer-rules.mjs
 * refuses any other importer.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { MLDSA65_SIZES, type Signer } from '../crypto/liboqs.js';

const SEED_BYTES = 32;
const TAG_BYTES = 32;
const KEY_LABEL = 'x0tta6bl4 simulation stand-in key\0';

function tagOf(seed: Uint8Array): Buffer {
  return createHash('sha256').update(KEY_LABEL).update(seed).digest();
}

/** A stand-in signer whose key pairs come from `seedBytes` (the simulation's seeded source). */
export function standInSigner(seedBytes: (length: number) => Uint8Array): Signer {
  return {
    algorithm: 'ML-DSA-65',
    keypair() {
      const seed = seedBytes(SEED_BYTES);
      const secretKey = new Uint8Array(MLDSA65_SIZES.secretKey);
      secretKey.set(seed);
      const publicKey = new Uint8Array(MLDSA65_SIZES.publicKey);
      publicKey.set(tagOf(seed));
      return { publicKey, secretKey };
    },
    sign(message, secretKey) {
      if (secretKey.length !== MLDSA65_SIZES.secretKey) throw new RangeError(`a stand-in secret key is ${MLDSA65_SIZES.secretKey} bytes, not ${secretKey.length}`);
      const signature = new Uint8Array(MLDSA65_SIZES.signature);
      signature.set(createHmac('sha256', tagOf(secretKey.subarray(0, SEED_BYTES))).update(message).digest());
      return signature;
    },
    verify(message, signature, publicKey) {
      if (signature.length !== MLDSA65_SIZES.signature || publicKey.length !== MLDSA65_SIZES.publicKey) return false;
      const expected = createHmac('sha256', publicKey.subarray(0, TAG_BYTES)).update(message).digest();
      // The rest is padding to ML-DSA-65's size, zero as sign() makes it: any other byte is not its signature.
      for (let index = TAG_BYTES; index < signature.length; index++) if (signature[index] !== 0) return false;
      return timingSafeEqual(expected, signature.subarray(0, TAG_BYTES));
    },
  };
}
