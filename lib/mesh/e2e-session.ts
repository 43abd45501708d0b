/**
 * End-to-end sessions between two mesh members, through any number of forwarders: the origin opens
 * a session to a destination once (per process run and destination) and seals every message of it
 * with AES-256-GCM; the destination answers with sealed acknowledgements in the same session.
 * Forwarders carry the opening and the sealed bodies (mesh-envelope.ts) and can read, forge or alter
 * none of them, nor move one to another origin, destination, session, sequence number or direction.
 *
 *   opening = X-Wing ciphertext (1120) ‖ ML-DSA-65 signature (3309), fixed length, no framing
 *   transcript = context ‖ origin vector16 ‖ destination vector16 ‖ sessionId (16)
 *                ‖ X-Wing ciphertext ‖ SHA-256(destination's X-Wing public key)
 *
 * The origin encapsulates to the destination's per-process X-Wing key and signs the transcript with
 * its lasting ML-DSA-65 key; both public keys reach the other side in signed member records, which
 * the caller looks up. The signature binds the ciphertext to this origin, destination and session
 * id, and the key hash binds it to the destination's current process: an opening replayed to another
 * destination, from another origin's name, into another session or to a restarted destination (a
 * fresh X-Wing key) fails the signature check before the destination's secret key is used.
 *
 * Keys: HKDF-SHA256 over the X-Wing shared secret, salt SHA-256(transcript), one 32-byte
 * AES-256-GCM key per direction ("data" origin → destination, "acks" destination → origin), derived
 * once per session. Each message then costs one AES-GCM call: nonce = direction byte ‖ 5 zero bytes
 * ‖ seq u48, associated data chosen by the caller (mesh-envelope.ts's envelopeAad), 16-byte tag.
 *
 * Nonce uniqueness is the caller's: within one direction of one session a seq must never seal two
 * different plaintexts (a GCM nonce reused under one key reveals the XOR of the plaintexts and lets
 * the authentication key be recovered). The origin numbers data, the destination its acks, each
 * from a counter that only grows for the life of the session; a process that loses its counter
 * opens a new session (a new session id and fresh keys) instead of continuing the old one. Accepting
 * the same opening twice gives the same keys, so the destination must not reset what it knows of a
 * session (the seqs it has delivered) when an opening it already accepted arrives again.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { MLDSA65_SIZES, type Pqc } from '../crypto/liboqs.js';
import { WireWriter } from '../crypto/wire.js';
import { XWING_CIPHERTEXT_BYTES, xwingDecapsulate, xwingEncapsulate, type XWingKeyPair } from '../crypto/xwing.js';

/** 128 random bits: sessions of one origin never collide, and no forwarder can guess one. */
export const SESSION_ID_BYTES = 16;
/** X-Wing ciphertext, then the origin's ML-DSA-65 signature: 4429 bytes. */
export const OPENING_BYTES = XWING_CIPHERTEXT_BYTES + MLDSA65_SIZES.signature;
/** AES-256-GCM's full tag: a forgery passes with probability 2^-128 per try. */
export const E2E_TAG_BYTES = 16;
/** The largest seq: it fills the nonce's 6 counter bytes and is a safe integer. */
export const MAX_E2E_SEQ = 2 ** 48 - 1;

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const SEQ_AT = NONCE_BYTES - 6;
const CONTEXT = Buffer.from('x0tta6bl4 mesh e2e opening v1\0');
const KEY_LABEL = 'x0tta6bl4 mesh e2e v1 ';

/** `data`: origin → destination; `acks`: destination → origin. */
export const E2E_DIRECTIONS = ['data', 'acks'] as const;
export type E2eDirection = (typeof E2E_DIRECTIONS)[number];
/** The nonce's first byte: the two directions never share a nonce even if they shared a key. */
const DIRECTION_BYTE: Record<E2eDirection, number> = { data: 0x01, acks: 0x02 };

/** A session's two AES-256-GCM keys, as KeyObjects so that no message copies or exposes them. */
export interface SessionKeys {
  readonly data: KeyObject;
  readonly acks: KeyObject;
}

export type EndToEndRefusal = 'malformed' | 'signature' | 'decapsulation' | 'authentication';

export class EndToEndError extends Error {
  override readonly name = 'EndToEndError';
  constructor(
    readonly reason: EndToEndRefusal,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface SessionParties {
  origin: string;
  destination: string;
  sessionId: Uint8Array;
}

export interface OpenSessionOptions extends SessionParties {
  pqc: Pqc;
  /** The destination's per-process X-Wing public key, from its verified member record. */
  destinationKemPublicKey: Uint8Array;
  /** The origin's own lasting ML-DSA-65 secret key. */
  originSigningSecretKey: Uint8Array;
}

export interface AcceptSessionOptions extends SessionParties {
  pqc: Pqc;
  opening: Uint8Array;
  /** This node's (the destination's) per-process X-Wing key pair. */
  destinationKemKeyPair: XWingKeyPair;
  /** The origin's ML-DSA-65 public key, from its verified member record. */
  originSigningPublicKey: Uint8Array;
}

function transcript({ origin, destination, sessionId }: SessionParties, ciphertext: Uint8Array, destinationKemPublicKey: Uint8Array): Buffer {
  return new WireWriter()
    .fixed(CONTEXT)
    .vector16(Buffer.from(origin, 'utf8'))
    .vector16(Buffer.from(destination, 'utf8'))
    .fixed(sessionId)
    .fixed(ciphertext)
    .fixed(createHash('sha256').update(destinationKemPublicKey).digest())
    .finish();
}

function deriveKeys(sharedSecret: Uint8Array, signed: Uint8Array): SessionKeys {
  const salt = createHash('sha256').update(signed).digest();
  const key = (direction: E2eDirection) => createSecretKey(Buffer.from(hkdfSync('sha256', sharedSecret, salt, KEY_LABEL + direction, KEY_BYTES)));
  return { data: key('data'), acks: key('acks') };
}

/** The origin's side: an opening to send (with the first data of the session) and the session's keys. */
export function openSession(options: OpenSessionOptions): { opening: Uint8Array; keys: SessionKeys } {
  if (options.sessionId.length !== SESSION_ID_BYTES) throw new RangeError(`a session id must be ${SESSION_ID_BYTES} bytes, is ${options.sessionId.length}`);
  const { ciphertext, sharedSecret } = xwingEncapsulate(options.pqc.kem('ML-KEM-768'), options.destinationKemPublicKey);
  const signed = transcript(options, ciphertext, options.destinationKemPublicKey);
  const signature = options.pqc.mldsa65.sign(signed, options.originSigningSecretKey);
  return { opening: Buffer.concat([ciphertext, signature]), keys: deriveKeys(sharedSecret, signed) };
}

/**
 * The destination's side: checks an opening a forwarder delivered and derives the session's keys.
 * Cheapest first: the lengths, then the origin's signature, and only then the secret key.
 */
export function acceptSession(options: AcceptSessionOptions): SessionKeys {
  const { opening, sessionId, origin } = options;
  if (opening.length !== OPENING_BYTES) throw new EndToEndError('malformed', `an opening must be ${OPENING_BYTES} bytes, is ${opening.length}`);
  if (sessionId.length !== SESSION_ID_BYTES) throw new EndToEndError('malformed', `a session id must be ${SESSION_ID_BYTES} bytes, is ${sessionId.length}`);
  const ciphertext = opening.subarray(0, XWING_CIPHERTEXT_BYTES);
  const signature = opening.subarray(XWING_CIPHERTEXT_BYTES);
  let signed: Buffer;
  try {
    signed = transcript(options, ciphertext, options.destinationKemKeyPair.publicKey);
  } catch (error) {
    throw new EndToEndError('malformed', `the session's parties do not encode: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let valid: boolean;
  try {
    valid = options.pqc.mldsa65.verify(signed, signature, options.originSigningPublicKey);
  } catch (error) {
    throw new EndToEndError('signature', `the opening from ${origin} could not be checked: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!valid) throw new EndToEndError('signature', `the opening is not signed by ${origin} for this destination, session and key`);
  let sharedSecret: Uint8Array;
  try {
    sharedSecret = xwingDecapsulate(options.pqc.kem('ML-KEM-768'), options.destinationKemKeyPair, ciphertext);
  } catch (error) {
    throw new EndToEndError('decapsulation', `the opening from ${origin} does not decapsulate: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return deriveKeys(sharedSecret, signed);
}

function nonce(direction: E2eDirection, seq: number): Buffer {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > MAX_E2E_SEQ) throw new RangeError(`seq ${seq} is not an integer in 0..${MAX_E2E_SEQ}`);
  const bytes = Buffer.alloc(NONCE_BYTES);
  bytes[0] = DIRECTION_BYTE[direction];
  bytes.writeUIntBE(seq, SEQ_AT, NONCE_BYTES - SEQ_AT);
  return bytes;
}

/** ciphertext ‖ tag, under the direction's key; `seq` must be new in this direction of this session. */
export function seal(keys: SessionKeys, direction: E2eDirection, seq: number, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', keys[direction], nonce(direction, seq), { authTagLength: E2E_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = cipher.update(plaintext);
  // GCM is a stream mode: final() yields no bytes, it completes the tag.
  const final = cipher.final();
  return Buffer.concat(final.length === 0 ? [ciphertext, cipher.getAuthTag()] : [ciphertext, final, cipher.getAuthTag()]);
}

/** The plaintext of ciphertext ‖ tag, or EndToEndError: 'malformed' (shorter than a tag), 'authentication'. */
export function open(keys: SessionKeys, direction: E2eDirection, seq: number, aad: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length < E2E_TAG_BYTES) throw new EndToEndError('malformed', `a sealed body of ${sealed.length} bytes is shorter than its ${E2E_TAG_BYTES}-byte tag`);
  const decipher = createDecipheriv('aes-256-gcm', keys[direction], nonce(direction, seq), { authTagLength: E2E_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - E2E_TAG_BYTES));
  try {
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - E2E_TAG_BYTES));
    // final() checks the tag and throws on a forgery.
    const final = decipher.final();
    return final.length === 0 ? plaintext : Buffer.concat([plaintext, final]);
  } catch (error) {
    throw new EndToEndError('authentication', `${direction} ${seq} does not authenticate in this session`, { cause: error });
  }
}

export const sealData = (keys: SessionKeys, seq: number, aad: Uint8Array, plaintext: Uint8Array): Buffer => seal(keys, 'data', seq, aad, plaintext);
export const openData = (keys: SessionKeys, seq: number, aad: Uint8Array, sealed: Uint8Array): Buffer => open(keys, 'data', seq, aad, sealed);
export const sealAck = (keys: SessionKeys, seq: number, aad: Uint8Array, plaintext: Uint8Array): Buffer => seal(keys, 'acks', seq, aad, plaintext);
export const openAck = (keys: SessionKeys, seq: number, aad: Uint8Array, sealed: Uint8Array): Buffer => open(keys, 'acks', seq, aad, sealed);
