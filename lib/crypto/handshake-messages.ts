/**
 * The handshake's three messages, wire version 1. Every field has an explicit length and a
 * limit; parsing reports the first violation as a HandshakeError('malformed') naming the field.
 *
 *   Hello   (initiator): version 1 | type 1 | nonce[32] | binding[32] | suites u8 n (1..4), ids
 *                        | signatures u8 n (1..4), ids | one key share per suite, vector16 each
 *   Accept  (responder): version 1 | type 2 | nonce[32] | suite u8 | signature u8
 *                        | ciphertext vector16 | node record vector16 | ML-DSA-65 signature vector16
 *                        | SVID signature vector16
 *   Finish  (initiator): version 1 | type 3 | node record vector16 | ML-DSA-65 signature vector16
 *                        | SVID signature vector16
 *
 * Signatures in Accept and Finish cover the transcript up to and including the node record.
 */
import { HandshakeError } from './handshake-error.js';
import { MLDSA65_SIZES } from './liboqs.js';
import { MAX_SVID_SIGNATURE_BYTES } from './node-record.js';
import { SUITE_SIZES, suiteName } from './pq-suites.js';
import { SessionWireError, WireReader, WireWriter } from './wire.js';

export const HANDSHAKE_VERSION = 1;
export const MESSAGE_TYPES = { hello: 1, accept: 2, finish: 3 } as const;
export const NONCE_BYTES = 32;
export const MAX_OFFERED = 4;
/** Larger than any key share or ciphertext of a known suite; bounds unknown ones. */
export const MAX_KEY_SHARE_BYTES = 4096;
export const MAX_RECORD_BYTES = 8192;
/** No handshake message is larger: checked before parsing. */
export const MAX_HANDSHAKE_MESSAGE_BYTES = 24 * 1024;

export interface Hello {
  nonce: Uint8Array;
  binding: Uint8Array;
  suites: number[];
  signatures: number[];
  keyShares: Uint8Array[];
}

export interface Accept {
  nonce: Uint8Array;
  suite: number;
  signature: number;
  ciphertext: Uint8Array;
  record: Uint8Array;
  mldsaSignature: Uint8Array;
  svidSignature: Uint8Array;
  /** The bytes the signatures cover (the message up to and including the record). */
  signedPart: Uint8Array;
}

export interface Finish {
  record: Uint8Array;
  mldsaSignature: Uint8Array;
  svidSignature: Uint8Array;
  signedPart: Uint8Array;
}

function header(type: number): WireWriter {
  return new WireWriter().u8(HANDSHAKE_VERSION).u8(type);
}

export function encodeHello(hello: Omit<Hello, never>): Buffer {
  const writer = header(MESSAGE_TYPES.hello).fixed(hello.nonce).fixed(hello.binding).u8(hello.suites.length);
  for (const id of hello.suites) writer.u8(id);
  writer.u8(hello.signatures.length);
  for (const id of hello.signatures) writer.u8(id);
  for (const share of hello.keyShares) writer.vector16(share);
  return writer.finish();
}

/** The part of Accept the signatures cover. */
export function encodeAcceptCore(accept: Pick<Accept, 'nonce' | 'suite' | 'signature' | 'ciphertext' | 'record'>): Buffer {
  return header(MESSAGE_TYPES.accept).fixed(accept.nonce).u8(accept.suite).u8(accept.signature).vector16(accept.ciphertext).vector16(accept.record).finish();
}

export function encodeFinishCore(record: Uint8Array): Buffer {
  return header(MESSAGE_TYPES.finish).vector16(record).finish();
}

export function appendSignatures(core: Uint8Array, mldsaSignature: Uint8Array, svidSignature: Uint8Array): Buffer {
  return Buffer.concat([core, new WireWriter().vector16(mldsaSignature).vector16(svidSignature).finish()]);
}

function parse<T>(bytes: Uint8Array, type: number, what: string, read: (reader: WireReader) => T): T {
  try {
    if (bytes.length > MAX_HANDSHAKE_MESSAGE_BYTES) throw new SessionWireError(what, `${bytes.length} bytes exceed ${MAX_HANDSHAKE_MESSAGE_BYTES}`);
    const reader = new WireReader(bytes);
    const version = reader.u8(`${what}.version`);
    if (version !== HANDSHAKE_VERSION) throw new SessionWireError(`${what}.version`, `${version} is not supported (this node speaks ${HANDSHAKE_VERSION})`);
    const actual = reader.u8(`${what}.type`);
    if (actual !== type) throw new SessionWireError(`${what}.type`, `${actual} where ${type} was expected`);
    const value = read(reader);
    reader.end(what);
    return value;
  } catch (error) {
    if (error instanceof SessionWireError) throw new HandshakeError('malformed', error.message, { cause: error });
    throw error;
  }
}

function idList(reader: WireReader, field: string): number[] {
  const count = reader.u8(`${field} count`);
  if (count < 1 || count > MAX_OFFERED) throw new SessionWireError(field, `${count} entries, 1..${MAX_OFFERED} allowed`);
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = reader.u8(field);
    if (ids.includes(id)) throw new SessionWireError(field, `${id} is listed twice`);
    ids.push(id);
  }
  return ids;
}

export function parseHello(bytes: Uint8Array): Hello {
  return parse(bytes, MESSAGE_TYPES.hello, 'hello', (reader) => {
    const nonce = reader.fixed('hello.nonce', NONCE_BYTES);
    const binding = reader.fixed('hello.binding', 32);
    const suites = idList(reader, 'hello.suites');
    const signatures = idList(reader, 'hello.signatures');
    const keyShares = suites.map((id) => {
      const name = suiteName(id);
      const size = name ? SUITE_SIZES[name].publicKey : undefined;
      return reader.vector16(`hello.keyShare[${id}]`, size ?? 1, size ?? MAX_KEY_SHARE_BYTES);
    });
    return { nonce, binding, suites, signatures, keyShares };
  });
}

function signatureFields(reader: WireReader, what: string) {
  return {
    mldsaSignature: reader.vector16(`${what}.mldsaSignature`, MLDSA65_SIZES.signature, MLDSA65_SIZES.signature),
    svidSignature: reader.vector16(`${what}.svidSignature`, 1, MAX_SVID_SIGNATURE_BYTES),
  };
}

export function parseAccept(bytes: Uint8Array): Accept {
  return parse(bytes, MESSAGE_TYPES.accept, 'accept', (reader) => {
    const nonce = reader.fixed('accept.nonce', NONCE_BYTES);
    const suite = reader.u8('accept.suite');
    const name = suiteName(suite);
    if (!name) throw new SessionWireError('accept.suite', `${suite} is not a known suite`);
    const signature = reader.u8('accept.signature');
    const ciphertext = reader.vector16('accept.ciphertext', SUITE_SIZES[name].ciphertext, SUITE_SIZES[name].ciphertext);
    const record = reader.vector16('accept.record', 1, MAX_RECORD_BYTES);
    const signedPart = reader.consumed();
    return { nonce, suite, signature, ciphertext, record, signedPart, ...signatureFields(reader, 'accept') };
  });
}

export function parseFinish(bytes: Uint8Array): Finish {
  return parse(bytes, MESSAGE_TYPES.finish, 'finish', (reader) => {
    const record = reader.vector16('finish.record', 1, MAX_RECORD_BYTES);
    const signedPart = reader.consumed();
    return { record, signedPart, ...signatureFields(reader, 'finish') };
  });
}
