/**
 * X25519 (RFC 7748) on raw 32-byte keys, through node:crypto (OpenSSL). Node takes keys as
 * PKCS#8 / SPKI documents; for X25519 those are a fixed prefix and the raw key (RFC 8410).
 */
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { InvalidKeyMaterialError } from './crypto-errors.js';

export const X25519_KEY_BYTES = 32;
// RFC 8410 §10.3: PrivateKeyInfo and SubjectPublicKeyInfo of id-X25519 (1.3.101.110), without the key.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function checkLength(what: string, key: Uint8Array): void {
  if (key.length !== X25519_KEY_BYTES) throw new InvalidKeyMaterialError(`an X25519 ${what} must be ${X25519_KEY_BYTES} bytes, is ${key.length}`);
}

export function x25519PrivateKeyObject(secret: Uint8Array): KeyObject {
  checkLength('private key', secret);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  checkLength('public key', publicKey);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

/** X25519(secret, 9): the public key. */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  const spki = createPublicKey(x25519PrivateKeyObject(secret)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

/** X25519(secret, peer). OpenSSL refuses a peer key that yields the all-zero secret (a low-order point). */
export function x25519(secret: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  const privateKey = x25519PrivateKeyObject(secret);
  const publicKey = publicKeyObject(peerPublicKey);
  try {
    return new Uint8Array(diffieHellman({ privateKey, publicKey }));
  } catch (error) {
    throw new InvalidKeyMaterialError(`X25519 with this peer key fails: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function x25519SecretKey(): Uint8Array {
  return new Uint8Array(randomBytes(X25519_KEY_BYTES));
}
