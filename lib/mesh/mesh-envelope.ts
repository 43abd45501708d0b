/**
 * The mesh envelope: what a forwarder reads of a message between two members, and all it can read.
 * It routes by the destination and the hop limit; the body is sealed end to end (e2e-session.ts)
 * under keys only the origin and the destination hold.
 *
 *   version u8 (1) | kind u8 (0 data, 1 ack, 2 reset) | hopLimit u8 | origin vector16 (SPIFFE ID)
 *   | destination vector16 (SPIFFE ID) | sessionId (16) | seq u48
 *   | opening vector16 (0, or exactly OPENING_BYTES; data only) | body vector32
 *
 * data: the body seals encodeDataPlaintext(topic, payload) under the session's data key at `seq`;
 * it carries the session's opening until the destination has acknowledged the session.
 * ack: the body seals the destination's cumulative acknowledgement under the acks key at `seq` (the
 * destination's own counter of acks).
 * reset: no opening; the body is the destination's ML-DSA-65 signature over the origin, itself and
 * the session id (actors/peer-link/end-to-end.ts): "I do not know this session", from a destination
 * that lost its state (a restart: its X-Wing key changed too). Signed, because an origin that
 * believed a forged one would open a new session and send again what the destination may have
 * delivered already.
 *
 * The AEAD covers envelopeAad(e) (version, kind, origin, destination, sessionId, seq), so a sealed
 * body cannot be moved to another pair, session, seq or kind. The opening is not covered: it is
 * signed on its own and bound to the same origin, destination and session, so a forwarder can only
 * strip it (the destination answers reset, as a drop would) or attach this session's own opening
 * again (the same keys). The hop limit is not covered either, so that a forwarder can lower it
 * without the keys (withHopLimit): a forwarder rewriting it can only shorten the path (the message
 * is dropped sooner, which it could do anyway) or prolong it, by at most 255 hops, since every
 * forwarder drops an envelope that arrives with hop limit 0 and forwards the rest with one less.
 *
 * Every check comes before the body is touched, cheapest first: the total size, then the parse
 * (both IDs workload SPIFFE IDs and different, each length within its bounds, the kind's rules).
 * A decoded envelope's byte fields are views of the bytes it was decoded from, not copies.
 */
import { MLDSA65_SIZES } from '../crypto/liboqs.js';
import { MAX_SPIFFE_ID_BYTES } from '../crypto/node-record.js';
import { WireReader, WireWriter } from '../crypto/wire.js';
import { parseSpiffeId } from '../spiffe/spiffe-id.js';
import { E2E_TAG_BYTES, MAX_E2E_SEQ, OPENING_BYTES, SESSION_ID_BYTES } from './e2e-session.js';

const ENVELOPE_VERSION = 1;
const AAD_CONTEXT = Buffer.from('x0tta6bl4 mesh envelope v1\0');
const SEQ_BYTES = 6;
const AT_VERSION = 0;
const AT_HOP_LIMIT = 2;

export const MESH_ENVELOPE_KINDS = ['data', 'ack', 'reset'] as const;
export type MeshEnvelopeKind = (typeof MESH_ENVELOPE_KINDS)[number];

/**
 * The hop limit an origin sets. A random mesh of MAX_MEMBERS (4,096) nodes of degree 3 or more is
 * about log2(4096) = 12 hops across; 16 leaves room for detours while routes heal, and a routing
 * loop dies after 16 transmissions instead of circling.
 */
export const DEFAULT_HOP_LIMIT = 16;
/** A bus topic's name: short names, the cap only keeps a hostile one small. */
export const MAX_TOPIC_BYTES = 256;
/**
 * The largest envelope: what one link data frame carries (actors/peer-link/frame-codec.ts's
 * MAX_PAYLOAD_BYTES, the same number; a test holds them equal), so an envelope always fits one frame.
 */
export const MAX_ENVELOPE_BYTES = 1024 * 1024;
/** version, kind and hop limit. */
const FIXED_PREFIX_BYTES = 3;
/** Everything before the body at its longest: fixed fields, two IDs of MAX_SPIFFE_ID_BYTES, an opening, the body's length. */
export const MAX_ENVELOPE_HEADER_BYTES = FIXED_PREFIX_BYTES + 2 * (2 + MAX_SPIFFE_ID_BYTES) + SESSION_ID_BYTES + SEQ_BYTES + 2 + OPENING_BYTES + 4;
/** What an envelope adds to a payload at most: its header, the topic vector and the AEAD tag (8,834 bytes). */
export const MAX_ENVELOPE_OVERHEAD_BYTES = MAX_ENVELOPE_HEADER_BYTES + 2 + MAX_TOPIC_BYTES + E2E_TAG_BYTES;
/** The largest payload a mesh message carries: 1 MiB less the envelope's largest overhead, so that every envelope fits a link frame. */
export const MAX_MESH_PAYLOAD_BYTES = MAX_ENVELOPE_BYTES - MAX_ENVELOPE_OVERHEAD_BYTES;
/** Topic vector16 at its longest, then the payload. */
export const MAX_DATA_PLAINTEXT_BYTES = 2 + MAX_TOPIC_BYTES + MAX_MESH_PAYLOAD_BYTES;
/** The largest sealed body of any kind: the largest data plaintext and its tag. */
export const MAX_E2E_BODY_BYTES = MAX_DATA_PLAINTEXT_BYTES + E2E_TAG_BYTES;
/** The smallest sealed data body: a one-byte topic, an empty payload, the tag. */
const MIN_DATA_BODY_BYTES = 2 + 1 + E2E_TAG_BYTES;
/** The fixed fields with every vector empty: shorter bytes are no envelope (what withHopLimit checks). */
const MIN_ENVELOPE_BYTES = FIXED_PREFIX_BYTES + 2 + 2 + SESSION_ID_BYTES + SEQ_BYTES + 2 + 4;

export interface MeshEnvelope {
  kind: MeshEnvelopeKind;
  hopLimit: number;
  origin: string;
  destination: string;
  sessionId: Uint8Array;
  /** A safe integer in 0..2^48-1: the data seq (data, reset) or the ack seq (ack). */
  seq: number;
  /** Empty, or the session's opening (OPENING_BYTES); data only. */
  opening: Uint8Array;
  body: Uint8Array;
}

export type MeshEnvelopeRefusal = 'oversized' | 'malformed';

export class MeshEnvelopeError extends Error {
  override readonly name = 'MeshEnvelopeError';
  constructor(
    readonly reason: MeshEnvelopeRefusal,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function workloadId(id: string, field: string): void {
  if (Buffer.byteLength(id, 'utf8') > MAX_SPIFFE_ID_BYTES) throw new MeshEnvelopeError('malformed', `the ${field} is longer than ${MAX_SPIFFE_ID_BYTES} bytes`);
  let path: string;
  try {
    path = parseSpiffeId(id).path;
  } catch (error) {
    throw new MeshEnvelopeError('malformed', `the ${field} is no SPIFFE ID: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (path === '') throw new MeshEnvelopeError('malformed', `the ${field} ${id} has no path`);
}

/** The rules both encoding and decoding enforce, so that nothing encoded is refused on arrival. */
function check(e: MeshEnvelope): void {
  if (!MESH_ENVELOPE_KINDS.includes(e.kind)) throw new MeshEnvelopeError('malformed', `envelope kind ${String(e.kind)} is not known`);
  if (!Number.isInteger(e.hopLimit) || e.hopLimit < 0 || e.hopLimit > 0xff) throw new MeshEnvelopeError('malformed', `hop limit ${e.hopLimit} is not a u8`);
  workloadId(e.origin, 'origin');
  workloadId(e.destination, 'destination');
  if (e.origin === e.destination) throw new MeshEnvelopeError('malformed', `${e.origin} sends to itself`);
  if (e.sessionId.length !== SESSION_ID_BYTES) throw new MeshEnvelopeError('malformed', `a session id must be ${SESSION_ID_BYTES} bytes, is ${e.sessionId.length}`);
  if (!Number.isSafeInteger(e.seq) || e.seq < 0 || e.seq > MAX_E2E_SEQ) throw new MeshEnvelopeError('malformed', `seq ${e.seq} is not an integer in 0..${MAX_E2E_SEQ}`);
  if (e.body.length > MAX_E2E_BODY_BYTES) throw new MeshEnvelopeError('oversized', `a body of ${e.body.length} bytes is over the ${MAX_E2E_BODY_BYTES}-byte cap`);
  if (e.opening.length !== 0 && (e.kind !== 'data' || e.opening.length !== OPENING_BYTES)) {
    throw new MeshEnvelopeError('malformed', `a ${e.kind} envelope carries a ${e.opening.length}-byte opening (only data may, of ${OPENING_BYTES} bytes)`);
  }
  if (e.kind === 'reset' && e.body.length !== MLDSA65_SIZES.signature) throw new MeshEnvelopeError('malformed', `a reset carries a ${e.body.length}-byte body, not its ${MLDSA65_SIZES.signature}-byte signature`);
  if (e.kind === 'data' && e.body.length < MIN_DATA_BODY_BYTES) throw new MeshEnvelopeError('malformed', `a data body of ${e.body.length} bytes is shorter than any sealed topic`);
  if (e.kind === 'ack' && e.body.length < E2E_TAG_BYTES) throw new MeshEnvelopeError('malformed', `an ack body of ${e.body.length} bytes is shorter than its tag`);
}

export function encodeEnvelope(e: MeshEnvelope): Buffer {
  check(e);
  const origin = Buffer.from(e.origin, 'utf8');
  const destination = Buffer.from(e.destination, 'utf8');
  const size = FIXED_PREFIX_BYTES + 2 + origin.length + 2 + destination.length + SESSION_ID_BYTES + SEQ_BYTES + 2 + e.opening.length + 4 + e.body.length;
  // One buffer written in place: the body (up to 1 MiB) is copied once.
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt8(ENVELOPE_VERSION, 0);
  at = out.writeUInt8(MESH_ENVELOPE_KINDS.indexOf(e.kind), at);
  at = out.writeUInt8(e.hopLimit, at);
  at = out.writeUInt16BE(origin.length, at);
  at += origin.copy(out, at);
  at = out.writeUInt16BE(destination.length, at);
  at += destination.copy(out, at);
  out.set(e.sessionId, at);
  at += SESSION_ID_BYTES;
  at = out.writeUIntBE(e.seq, at, SEQ_BYTES);
  at = out.writeUInt16BE(e.opening.length, at);
  out.set(e.opening, at);
  at += e.opening.length;
  at = out.writeUInt32BE(e.body.length, at);
  out.set(e.body, at);
  return out;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

function parse(bytes: Uint8Array): MeshEnvelope {
  const reader = new WireReader(bytes);
  const version = reader.u8('envelope.version');
  if (version !== ENVELOPE_VERSION) throw new MeshEnvelopeError('malformed', `envelope version ${version} is not supported`);
  const kindCode = reader.u8('envelope.kind');
  const kind = MESH_ENVELOPE_KINDS[kindCode];
  if (kind === undefined) throw new MeshEnvelopeError('malformed', `envelope kind ${kindCode} is not known`);
  const hopLimit = reader.u8('envelope.hopLimit');
  const origin = text(reader.vector16('envelope.origin', 1, MAX_SPIFFE_ID_BYTES));
  const destination = text(reader.vector16('envelope.destination', 1, MAX_SPIFFE_ID_BYTES));
  const sessionId = reader.fixed('envelope.sessionId', SESSION_ID_BYTES);
  const seqBytes = reader.fixed('envelope.seq', SEQ_BYTES);
  const seq = Buffer.from(seqBytes.buffer, seqBytes.byteOffset, SEQ_BYTES).readUIntBE(0, SEQ_BYTES);
  const opening = reader.vector16('envelope.opening', 0, OPENING_BYTES);
  const bodyLength = reader.u32('envelope.body length');
  if (bodyLength > MAX_E2E_BODY_BYTES) throw new MeshEnvelopeError('oversized', `a body of ${bodyLength} bytes is over the ${MAX_E2E_BODY_BYTES}-byte cap`);
  const body = reader.fixed('envelope.body', bodyLength);
  reader.end('mesh envelope');
  const envelope: MeshEnvelope = { kind, hopLimit, origin, destination, sessionId, seq, opening, body };
  check(envelope);
  return envelope;
}

/** An envelope from a peer's bytes, or MeshEnvelopeError ('oversized' before anything is read, or 'malformed'). */
export function decodeEnvelope(bytes: Uint8Array): MeshEnvelope {
  if (bytes.length > MAX_ENVELOPE_BYTES) throw new MeshEnvelopeError('oversized', `an envelope of ${bytes.length} bytes is over the ${MAX_ENVELOPE_BYTES}-byte cap`);
  try {
    return parse(bytes);
  } catch (error) {
    if (error instanceof MeshEnvelopeError) throw error;
    throw new MeshEnvelopeError('malformed', `the envelope does not parse: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * A copy of an encoded envelope with another hop limit, the rest untouched (a forwarder has decoded
 * the envelope to route it already; this only checks what it rewrites).
 */
export function withHopLimit(bytes: Uint8Array, hopLimit: number): Buffer {
  if (!Number.isInteger(hopLimit) || hopLimit < 0 || hopLimit > 0xff) throw new RangeError(`hop limit ${hopLimit} is not a u8`);
  if (bytes.length > MAX_ENVELOPE_BYTES) throw new MeshEnvelopeError('oversized', `an envelope of ${bytes.length} bytes is over the ${MAX_ENVELOPE_BYTES}-byte cap`);
  if (bytes.length < MIN_ENVELOPE_BYTES || bytes[AT_VERSION] !== ENVELOPE_VERSION) throw new MeshEnvelopeError('malformed', 'these bytes are no envelope of version 1');
  const out = Buffer.from(bytes);
  out[AT_HOP_LIMIT] = hopLimit;
  return out;
}

/**
 * What the AEAD of a data or ack body covers: everything that says whose, which and what the body
 * is (not the hop limit, not the opening: see the header comment). Built per message, small.
 */
export function envelopeAad(e: Pick<MeshEnvelope, 'kind' | 'origin' | 'destination' | 'sessionId' | 'seq'>): Buffer {
  if (e.sessionId.length !== SESSION_ID_BYTES) throw new MeshEnvelopeError('malformed', `a session id must be ${SESSION_ID_BYTES} bytes, is ${e.sessionId.length}`);
  const seq = Buffer.alloc(SEQ_BYTES);
  seq.writeUIntBE(e.seq, 0, SEQ_BYTES);
  return new WireWriter()
    .fixed(AAD_CONTEXT)
    .u8(ENVELOPE_VERSION)
    .u8(MESH_ENVELOPE_KINDS.indexOf(e.kind))
    .vector16(Buffer.from(e.origin, 'utf8'))
    .vector16(Buffer.from(e.destination, 'utf8'))
    .fixed(e.sessionId)
    .fixed(seq)
    .finish();
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function checkTopic(length: number): void {
  if (length < 1 || length > MAX_TOPIC_BYTES) throw new MeshEnvelopeError('malformed', `a topic of ${length} bytes is outside 1..${MAX_TOPIC_BYTES}`);
}

/** A data body's plaintext: topic vector16 (UTF-8, 1..MAX_TOPIC_BYTES), then the payload to the end. */
export function encodeDataPlaintext(topic: string, payload: Uint8Array): Buffer {
  const name = Buffer.from(topic, 'utf8');
  checkTopic(name.length);
  if (payload.length > MAX_MESH_PAYLOAD_BYTES) throw new MeshEnvelopeError('oversized', `a payload of ${payload.length} bytes is over the ${MAX_MESH_PAYLOAD_BYTES}-byte cap`);
  const out = Buffer.allocUnsafe(2 + name.length + payload.length);
  const at = out.writeUInt16BE(name.length, 0);
  name.copy(out, at);
  out.set(payload, at + name.length);
  return out;
}

/** The topic and payload of an opened data body (the payload a view of `plaintext`). */
export function decodeDataPlaintext(plaintext: Uint8Array): { topic: string; payload: Buffer } {
  if (plaintext.length > MAX_DATA_PLAINTEXT_BYTES) throw new MeshEnvelopeError('oversized', `a data plaintext of ${plaintext.length} bytes is over the ${MAX_DATA_PLAINTEXT_BYTES}-byte cap`);
  const bytes = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  if (bytes.length < 2) throw new MeshEnvelopeError('malformed', 'a data plaintext shorter than its topic length');
  const length = bytes.readUInt16BE(0);
  checkTopic(length);
  if (2 + length > bytes.length) throw new MeshEnvelopeError('malformed', `a topic of ${length} bytes in ${bytes.length - 2}`);
  let topic: string;
  try {
    topic = UTF8.decode(bytes.subarray(2, 2 + length));
  } catch (error) {
    throw new MeshEnvelopeError('malformed', 'the topic is not UTF-8', { cause: error });
  }
  return { topic, payload: bytes.subarray(2 + length) };
}
