/**
 * The messages of SWIM's indirect probe (Das, Gupta, Motivala 2002, "ping-req"), on the reserved
 * topic `$probe` between linked peers, made so that a helper cannot lie about a member's life: the
 * proof is the member's own signature.
 *
 *   requester ──request{nonce, subject}──► helper ──ping{nonce, requester, subject}──► subject
 *   requester ◄──answer{nonce, subject, signature?}── helper ◄──ack{nonce, requester, subject, signature}── subject
 *
 * The subject signs (with its node's ML-DSA-65 key, the one its member record binds) the nonce the
 * requester drew at random and both IDs, so an answer proves the subject was alive after the
 * request: a helper can relay it or withhold it, never make one up or replay an old one.
 *
 * Bytes: version (2), kind (0 request, 1 ping, 2 ack, 3 answer), the nonce (16 bytes), then each
 * field as a u16 length and its bytes: requester (ping, ack), subject, signature (ack; answer: 0
 * bytes when the helper has no proof). IDs are SPIFFE IDs of 1 to 2,048 bytes of UTF-8. Checked
 * whole before anything is read from it; a refusal says why.
 */
export const PROBE_TOPIC = '$probe';

const VERSION = 2;
export const PROBE_NONCE_BYTES = 16;
/** The SPIFFE standard's bound on an ID. */
const MAX_ID_BYTES = 2_048;
/** ML-DSA-65 signatures are 3,309 bytes; room for the larger parameter sets. */
const MAX_SIGNATURE_BYTES = 4_800;
export const MAX_PROBE_MESSAGE_BYTES = 2 + PROBE_NONCE_BYTES + 3 * 2 + 2 * MAX_ID_BYTES + MAX_SIGNATURE_BYTES;

export type IndirectProbeMessage =
  | { kind: 'request'; nonce: Buffer; subject: string }
  | { kind: 'ping'; nonce: Buffer; requester: string; subject: string }
  | { kind: 'ack'; nonce: Buffer; requester: string; subject: string; signature: Buffer }
  | { kind: 'answer'; nonce: Buffer; subject: string; signature: Buffer | undefined };

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

const KINDS = ['request', 'ping', 'ack', 'answer'] as const;

/** Fatal, and a byte-order mark kept (not silently dropped), so one message has one encoding. */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What an ID must be to be sent: a SPIFFE ID of well-formed text (a lone surrogate would come back changed), within the bound. */
export function isProbeSubject(id: string): boolean {
  if (!id.startsWith('spiffe://')) return false;
  const bytes = Buffer.from(id, 'utf8');
  return bytes.length <= MAX_ID_BYTES && bytes.toString('utf8') === id;
}

/** What the subject signs: a domain tag, the nonce and both IDs, each ID length-prefixed so no two messages sign alike. */
export function probeAckSigned(nonce: Uint8Array, requester: string, subject: string): Buffer {
  return Buffer.concat([Buffer.from('x0tta6bl4 indirect-probe ack v1\0', 'utf8'), nonce, field(Buffer.from(requester, 'utf8')), field(Buffer.from(subject, 'utf8'))]);
}

/** Refuses what its decoder would refuse: the two agree on every message. */
export function encodeIndirectProbe(message: IndirectProbeMessage): Buffer {
  if (message.nonce.length !== PROBE_NONCE_BYTES) throw new RangeError(`a nonce is ${PROBE_NONCE_BYTES} bytes, not ${message.nonce.length}`);
  const ids = message.kind === 'ping' || message.kind === 'ack' ? [message.requester, message.subject] : [message.subject];
  for (const id of ids) if (!isProbeSubject(id)) throw new RangeError(`an ID is a SPIFFE ID of well-formed text, at most ${MAX_ID_BYTES} bytes of UTF-8`);
  const parts = [Buffer.from([VERSION, KINDS.indexOf(message.kind)]), message.nonce, ...ids.map((id) => field(Buffer.from(id, 'utf8')))];
  if (message.kind === 'ack' || message.kind === 'answer') {
    const signature = message.signature ?? Buffer.alloc(0);
    if (signature.length > MAX_SIGNATURE_BYTES || (message.kind === 'ack' && signature.length === 0)) throw new RangeError(`a signature is ${message.kind === 'ack' ? 1 : 0} to ${MAX_SIGNATURE_BYTES} bytes, not ${signature.length}`);
    parts.push(field(signature));
  }
  return Buffer.concat(parts);
}

export function decodeIndirectProbe(bytes: Uint8Array): IndirectProbeMessage {
  if (bytes.length > MAX_PROBE_MESSAGE_BYTES) throw new IndirectProbeError('oversized', `${bytes.length} bytes, at most ${MAX_PROBE_MESSAGE_BYTES}`);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 2 + PROBE_NONCE_BYTES) throw new IndirectProbeError('malformed', `${buffer.length} bytes, too short`);
  if (buffer[0] !== VERSION) throw new IndirectProbeError('malformed', `version ${buffer[0]}`);
  const kind = KINDS[buffer[1]!];
  if (kind === undefined) throw new IndirectProbeError('malformed', `kind ${buffer[1]}`);
  const nonce = Buffer.from(buffer.subarray(2, 2 + PROBE_NONCE_BYTES));
  let offset = 2 + PROBE_NONCE_BYTES;
  const take = (what: string, most: number): Buffer => {
    if (offset + 2 > buffer.length) throw new IndirectProbeError('malformed', `the ${what} is cut short`);
    const length = buffer.readUInt16BE(offset);
    if (length > most || offset + 2 + length > buffer.length) throw new IndirectProbeError('malformed', `the ${what} is ${length} bytes, at most ${Math.min(most, buffer.length - offset - 2)}`);
    const value = buffer.subarray(offset + 2, offset + 2 + length);
    offset += 2 + length;
    return value;
  };
  const id = (what: string): string => {
    const raw = take(what, MAX_ID_BYTES);
    let text: string;
    try {
      text = decoder.decode(raw);
    } catch {
      throw new IndirectProbeError('malformed', `the ${what} is not UTF-8`);
    }
    if (!text.startsWith('spiffe://')) throw new IndirectProbeError('malformed', `the ${what} is not a SPIFFE ID`);
    return text;
  };
  let message: IndirectProbeMessage;
  switch (kind) {
    case 'request':
      message = { kind, nonce, subject: id('subject') };
      break;
    case 'ping':
      message = { kind, nonce, requester: id('requester'), subject: id('subject') };
      break;
    case 'ack': {
      const requester = id('requester');
      const subject = id('subject');
      const signature = Buffer.from(take('signature', MAX_SIGNATURE_BYTES));
      if (signature.length === 0) throw new IndirectProbeError('malformed', 'an ack without a signature');
      message = { kind, nonce, requester, subject, signature };
      break;
    }
    case 'answer': {
      const subject = id('subject');
      const signature = take('signature', MAX_SIGNATURE_BYTES);
      message = { kind, nonce, subject, signature: signature.length > 0 ? Buffer.from(signature) : undefined };
      break;
    }
  }
  if (offset !== buffer.length) throw new IndirectProbeError('malformed', `${buffer.length - offset} bytes after the message`);
  return message;
}

function field(bytes: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(bytes.length);
  return Buffer.concat([head, bytes]);
}
