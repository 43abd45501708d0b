/**
 * The messages of SWIM's indirect probe (Das, Gupta, Motivala 2002, "ping-req"), on the reserved
 * topic `$probe` between linked peers: a node that lost its link to a member asks some of its other
 * peers whether the member is alive to them, and each answers from its own link's failure detector.
 *
 * Bytes: version (1), kind (0 a request, 1 an answer: silent or unlinked, 2 an answer: alive), a
 * nonce (u32, big-endian), the subject's SPIFFE ID (UTF-8, 1 to 2,048 bytes, the standard's bound).
 * Checked whole before anything is read from it; a refusal says why.
 */
export const PROBE_TOPIC = '$probe';

const VERSION = 1;
const HEAD_BYTES = 6;
/** The SPIFFE standard's bound on an ID. */
const MAX_SUBJECT_BYTES = 2_048;
export const MAX_PROBE_MESSAGE_BYTES = HEAD_BYTES + MAX_SUBJECT_BYTES;

export type IndirectProbeMessage = { kind: 'request'; nonce: number; subject: string } | { kind: 'answer'; nonce: number; subject: string; alive: boolean };

export type IndirectProbeRefusal = 'oversized' | 'malformed';

export class IndirectProbeError extends Error {
  override readonly name = 'IndirectProbeError';
  constructor(
    readonly reason: IndirectProbeRefusal,
    detail: string,
  ) {
    super(`an indirect probe message refused as ${reason}: ${detail}`);
  }
}

/** Fatal, and a byte-order mark kept (not silently dropped), so one message has one encoding. */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What a subject must be to be sent: a SPIFFE ID of well-formed UTF-16 (a lone surrogate would come back changed), within the bound. */
export function isProbeSubject(subject: string): boolean {
  if (!subject.startsWith('spiffe://')) return false;
  const bytes = Buffer.from(subject, 'utf8');
  return bytes.length <= MAX_SUBJECT_BYTES && bytes.toString('utf8') === subject;
}

/** Refuses what its decoder would refuse: the two agree on every message. */
export function encodeIndirectProbe(message: IndirectProbeMessage): Buffer {
  if (!isProbeSubject(message.subject)) throw new RangeError(`a subject is a SPIFFE ID of well-formed text, at most ${MAX_SUBJECT_BYTES} bytes of UTF-8`);
  const subject = Buffer.from(message.subject, 'utf8');
  if (!Number.isInteger(message.nonce) || message.nonce < 0 || message.nonce > 0xffff_ffff) throw new RangeError(`a nonce is a u32, not ${message.nonce}`);
  const head = Buffer.alloc(HEAD_BYTES);
  head[0] = VERSION;
  head[1] = message.kind === 'request' ? 0 : message.alive ? 2 : 1;
  head.writeUInt32BE(message.nonce, 2);
  return Buffer.concat([head, subject]);
}

export function decodeIndirectProbe(bytes: Uint8Array): IndirectProbeMessage {
  if (bytes.length > MAX_PROBE_MESSAGE_BYTES) throw new IndirectProbeError('oversized', `${bytes.length} bytes, at most ${MAX_PROBE_MESSAGE_BYTES}`);
  if (bytes.length < HEAD_BYTES + 1) throw new IndirectProbeError('malformed', `${bytes.length} bytes, too short`);
  if (bytes[0] !== VERSION) throw new IndirectProbeError('malformed', `version ${bytes[0]}`);
  const kind = bytes[1]!;
  if (kind > 2) throw new IndirectProbeError('malformed', `kind ${kind}`);
  const nonce = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32BE(2);
  let subject: string;
  try {
    subject = decoder.decode(bytes.subarray(HEAD_BYTES));
  } catch {
    throw new IndirectProbeError('malformed', 'the subject is not UTF-8');
  }
  if (!subject.startsWith('spiffe://')) throw new IndirectProbeError('malformed', 'the subject is not a SPIFFE ID');
  return kind === 0 ? { kind: 'request', nonce, subject } : { kind: 'answer', nonce, subject, alive: kind === 2 };
}
