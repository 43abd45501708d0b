/**
 * A node record binds a node's ML-DSA-65 public key to its SPIFFE ID: the ID, the key and an
 * expiry, signed with the node's current X.509-SVID key. A peer checks the signature with the
 * SVID key the mutual-TLS handshake already verified, and that the ID is the one TLS proved, so
 * an ML-DSA key cannot be presented under another identity.
 *
 *   version u8 (1) | spiffeId vector16 (UTF-8, 1..2048) | mldsaPublicKey vector16 (1952)
 *   | notAfter u64 (epoch ms) | svidSignature vector16 (1..1024)
 *
 * The signature covers a context string and every byte before it.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { HandshakeError } from './handshake-error.js';
import { MLDSA65_SIZES } from './liboqs.js';
import { SessionWireError, WireReader, WireWriter } from './wire.js';

const RECORD_VERSION = 1;
const CONTEXT = Buffer.from('x0tta6bl4 node record v1\0');
export const MAX_SPIFFE_ID_BYTES = 2048;
export const MAX_SVID_SIGNATURE_BYTES = 1024;

export interface NodeRecord {
  spiffeId: string;
  mldsaPublicKey: Uint8Array;
  notAfter: number;
}

/** How a node's ML-DSA key is named in status and logs: the SHA-256 of the public key, in hex. */
export function nodeKeyFingerprint(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex');
}

/** Signs with the SVID key: SHA-256 with ECDSA (DER) or RSA (PKCS#1 v1.5), by the key's type. */
export function signWithSvidKey(key: KeyObject, data: Uint8Array): Buffer {
  return sign('sha256', data, key);
}

export function verifyWithSvidKey(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', data, key, signature);
  } catch {
    return false;
  }
}

export function encodeNodeRecord(record: NodeRecord, svidKey: KeyObject): Buffer {
  const body = new WireWriter()
    .u8(RECORD_VERSION)
    .vector16(Buffer.from(record.spiffeId, 'utf8'))
    .vector16(record.mldsaPublicKey)
    .u64(BigInt(record.notAfter))
    .finish();
  return Buffer.concat([body, new WireWriter().vector16(signWithSvidKey(svidKey, Buffer.concat([CONTEXT, body]))).finish()]);
}

/** Parses and checks a peer's record: signed by its SVID key, for the SPIFFE ID TLS proved, not expired. */
export function verifyNodeRecord(bytes: Uint8Array, peer: { spiffeId: string; svidPublicKey: KeyObject }, now: number): NodeRecord {
  const reader = new WireReader(bytes);
  let record: NodeRecord;
  let signature: Uint8Array;
  let signed: Uint8Array;
  try {
    const version = reader.u8('record.version');
    if (version !== RECORD_VERSION) throw new SessionWireError('record.version', `${version} is not supported`);
    const spiffeId = Buffer.from(reader.vector16('record.spiffeId', 1, MAX_SPIFFE_ID_BYTES)).toString('utf8');
    const mldsaPublicKey = reader.vector16('record.mldsaPublicKey', MLDSA65_SIZES.publicKey, MLDSA65_SIZES.publicKey);
    const notAfter = reader.u64('record.notAfter');
    signed = reader.consumed();
    signature = reader.vector16('record.signature', 1, MAX_SVID_SIGNATURE_BYTES);
    reader.end('record');
    record = { spiffeId, mldsaPublicKey, notAfter: Number(notAfter > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : notAfter) };
  } catch (error) {
    throw new HandshakeError('malformed', `the node record does not parse: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!verifyWithSvidKey(peer.svidPublicKey, Buffer.concat([CONTEXT, signed]), signature)) {
    throw new HandshakeError('node-record', `the node record of ${peer.spiffeId} is not signed by its SVID key`);
  }
  if (record.spiffeId !== peer.spiffeId) {
    throw new HandshakeError('identity-mismatch', `the node record names ${record.spiffeId}, TLS proved ${peer.spiffeId}`);
  }
  if (record.notAfter <= now) throw new HandshakeError('node-record', `the node record of ${peer.spiffeId} expired at ${new Date(record.notAfter).toISOString()}`);
  return record;
}
