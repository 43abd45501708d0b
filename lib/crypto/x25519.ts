/**
 * X25519 (RFC 7748) through node:crypto (OpenSSL). Keys are KeyObjects on our side and raw 32
 * bytes on the wire. Raw keys are imported as JWK: OpenSSL 3 decodes a PKCS#8 document about ten
 * times slower (≈ 440 µs against 12–40 µs here), which alone would cost a handshake a millisecond.
 * Only the known-answer path, which must start from a given raw secret, takes the PKCS#8 way.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { InvalidKeyMaterialError } from './crypto-errors.js';

export const X25519_KEY_BYTES = 32;
// RFC 8410 §10.3: the PrivateKeyInfo of id-X25519 (1.3.101.110), without the key.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface X25519KeyPair {
  privateKey: KeyObject;
  /** Raw, as it goes on the wire. */
  publicKey: Uint8Array;
}

function rawPublicKey(key: KeyObject): Uint8Array {
  return Buffer.from((key.export({ format: 'jwk' }) as { x: string }).x, 'base64url');
}

/** generateKeyPairSync encoding only the public key (node:crypto takes it; @types/node has no overload for it). */
const generateWithJwkPublicKey = generateKeyPairSync as unknown as (type: 'x25519', options: { publicKeyEncoding: { format: 'jwk' } }) => { privateKey: KeyObject; publicKey: { x: string } };

/**
 * The public key comes out of the generation job already as a JWK. Exporting it afterwards can
 * deadlock the thread on Node 20: KeyObject.export holds the key's mutex while it allocates the
 * JWK's strings, an allocation can start a garbage collection, and the collection runs the
 * finished generation job's destructor, which takes the same mutex (seen in the gate suite's
 * handshakes; test/lib/crypto/x25519-generate-gc.test.ts forces it with --gc-interval).
 */
export function x25519Generate(): X25519KeyPair {
  const { privateKey, publicKey } = generateWithJwkPublicKey('x25519', { publicKeyEncoding: { format: 'jwk' } });
  return { privateKey, publicKey: Buffer.from(publicKey.x, 'base64url') };
}

/** From a given raw secret (known-answer tests; X-Wing's seed expansion). */
export function x25519FromSecret(secret: Uint8Array): X25519KeyPair {
  if (secret.length !== X25519_KEY_BYTES) throw new InvalidKeyMaterialError(`an X25519 private key must be ${X25519_KEY_BYTES} bytes, is ${secret.length}`);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: rawPublicKey(createPublicKey(privateKey)) };
}

/** X25519(private, peer). OpenSSL refuses a peer key that yields the all-zero secret (a low-order point). */
export function x25519(privateKey: KeyObject, peerPublicKey: Uint8Array): Uint8Array {
  if (peerPublicKey.length !== X25519_KEY_BYTES) throw new InvalidKeyMaterialError(`an X25519 public key must be ${X25519_KEY_BYTES} bytes, is ${peerPublicKey.length}`);
  try {
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peerPublicKey).toString('base64url') }, format: 'jwk' });
    return new Uint8Array(diffieHellman({ privateKey, publicKey }));
  } catch (error) {
    throw new InvalidKeyMaterialError(`X25519 with this peer key fails: ${error instanceof Error ? error.message : String(error)}`);
  }
}
