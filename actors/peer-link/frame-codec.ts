/**
 * The peer link's records: a 4-byte big-endian length, then one LinkFrame (link.proto) encoded
 * with protobufjs. Every length is bounded before anything is allocated or decoded, and every
 * decoded field is checked, so a malformed or hostile record is a LinkFrameError naming the rule
 * it broke, never a crash or an unbounded buffer.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { LinkFrameError } from './link-frame-error.js';

/** From dist/actors/peer-link/ (compiled) back to the source tree's actors/peer-link/link.proto. */
const PROTO_PATH = fileURLToPath(new URL('../../../actors/peer-link/link.proto', import.meta.url));

export const LINK_PROTOCOL_VERSION = 1;
/** The largest payload one message may carry (the bus's messages are far smaller). */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** A payload, its topic, the framing and the post-quantum session's seal: anything longer is refused before it is buffered. */
export const MAX_RECORD_BYTES = MAX_PAYLOAD_BYTES + 4096;
export const MAX_TOPIC_LENGTH = 200;
export const MAX_REASON_LENGTH = 200;
export const LINK_ID_BYTES = 16;
const HEADER_BYTES = 4;
/** Protocol Buffers' wire type of `bytes` fields (a varint length, then the bytes). */
const WIRE_TYPE_LENGTH_DELIMITED = 2;

export type LinkFrame =
  | { kind: 'hello'; version: number; linkId: Buffer; incarnation: Buffer; receiveNext: number }
  | { kind: 'data'; seq: number; topic: string; payload: Buffer }
  | { kind: 'ack'; receiveNext: number }
  | { kind: 'reauth' }
  | { kind: 'goodbye'; reason: string }
  | { kind: 'pq'; bytes: Buffer }
  | { kind: 'ping'; nonce: number }
  | { kind: 'pong'; nonce: number };

let frameType: protobuf.Type | undefined;
function type(): protobuf.Type {
  frameType ??= protobuf.loadSync(PROTO_PATH).lookupType('LinkFrame');
  return frameType;
}

/** One frame, without the record's length prefix (what a sealed post-quantum frame carries). */
export function encodeFrameBody(frame: LinkFrame): Uint8Array {
  const { kind, ...fields } = frame;
  const message =
    kind === 'hello'
      ? { hello: { version: frame.version, linkId: frame.linkId, incarnation: frame.incarnation, receiveNext: frame.receiveNext } }
      : kind === 'goodbye'
        ? { goodbye: { reason: frame.reason.slice(0, MAX_REASON_LENGTH) } }
        : kind === 'pq'
          ? { pq: frame.bytes }
          : { [kind]: fields };
  const body = type().encode(type().create(message)).finish();
  if (body.length > MAX_RECORD_BYTES) throw new LinkFrameError('record-too-large', `a ${kind} frame of ${body.length} bytes exceeds ${MAX_RECORD_BYTES}`);
  return body;
}

/** One record: length prefix and frame. */
export function encodeFrame(frame: LinkFrame): Buffer {
  const body = encodeFrameBody(frame);
  const record = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  record.writeUInt32BE(body.length, 0);
  record.set(body, HEADER_BYTES);
  return record;
}

/**
 * The head of a `pq` record whose sealed frame (`frameBytes` long) is written after it in the
 * buffers it was sealed in: the record's length prefix, then the key and length of LinkFrame's
 * `pq` field, written by protobufjs's own writer. Head ‖ frame is the record
 * encodeFrame({ kind: 'pq' }) makes, without copying a 64 KiB frame twice more to make it.
 */
export function pqRecordHead(frameBytes: number): Buffer {
  const field = type().fields['pq'];
  if (!field) throw new Error('link.proto has no pq field');
  const fieldHead = protobuf.Writer.create()
    .uint32((field.id << 3) | WIRE_TYPE_LENGTH_DELIMITED)
    .uint32(frameBytes)
    .finish();
  const bodyBytes = fieldHead.length + frameBytes;
  if (bodyBytes > MAX_RECORD_BYTES) throw new LinkFrameError('record-too-large', `a pq frame of ${bodyBytes} bytes exceeds ${MAX_RECORD_BYTES}`);
  const head = Buffer.allocUnsafe(HEADER_BYTES + fieldHead.length);
  head.writeUInt32BE(bodyBytes, 0);
  head.set(fieldHead, HEADER_BYTES);
  return head;
}

/** Decodes one frame body (without its length prefix). */
export function decodeFrame(body: Uint8Array): LinkFrame {
  let message: protobuf.Message & Record<string, unknown>;
  try {
    // Always through a Buffer view (no copy): protobufjs reads strings of a Buffer with Node's UTF-8
    // decoder (invalid bytes become U+FFFD), but those of a plain Uint8Array with its own, which
    // turns some invalid UTF-8 into lone surrogates that do not encode back to the same frame.
    message = type().decode(Buffer.from(body.buffer, body.byteOffset, body.byteLength)) as protobuf.Message & Record<string, unknown>;
  } catch (error) {
    throw new LinkFrameError('malformed', `the frame does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
  const hello = message['hello'] as Record<string, unknown> | undefined;
  const data = message['data'] as Record<string, unknown> | undefined;
  const ack = message['ack'] as Record<string, unknown> | undefined;
  const goodbye = message['goodbye'] as Record<string, unknown> | undefined;
  if (hello) {
    const version = hello['version'] as number;
    if (version !== LINK_PROTOCOL_VERSION) throw new LinkFrameError('bad-field', `hello.version ${version} is not supported (this node speaks ${LINK_PROTOCOL_VERSION})`);
    return {
      kind: 'hello',
      version,
      linkId: exactBytes(hello['linkId'], 'hello.link_id'),
      incarnation: exactBytes(hello['incarnation'], 'hello.incarnation'),
      receiveNext: safeCount(hello['receiveNext'], 'hello.receive_next'),
    };
  }
  if (data) {
    const topic = data['topic'] as string;
    if (topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) throw new LinkFrameError('bad-field', `data.topic must have 1 to ${MAX_TOPIC_LENGTH} characters, has ${topic.length}`);
    const payload = Buffer.from(data['payload'] as Uint8Array);
    if (payload.length > MAX_PAYLOAD_BYTES) throw new LinkFrameError('bad-field', `data.payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
    return { kind: 'data', seq: safeCount(data['seq'], 'data.seq'), topic, payload };
  }
  if (ack) return { kind: 'ack', receiveNext: safeCount(ack['receiveNext'], 'ack.receive_next') };
  const ping = message['ping'] as Record<string, unknown> | undefined;
  if (ping) return { kind: 'ping', nonce: ping['nonce'] as number };
  const pong = message['pong'] as Record<string, unknown> | undefined;
  if (pong) return { kind: 'pong', nonce: pong['nonce'] as number };
  if (message['reauth']) return { kind: 'reauth' };
  const pq = message['pq'] as Uint8Array | undefined;
  if (pq !== undefined && message['kind'] === 'pq') {
    if (pq.length === 0) throw new LinkFrameError('bad-field', 'pq carries no bytes');
    return { kind: 'pq', bytes: Buffer.from(pq) };
  }
  if (goodbye) {
    const reason = goodbye['reason'] as string;
    if (reason.length > MAX_REASON_LENGTH) throw new LinkFrameError('bad-field', `goodbye.reason exceeds ${MAX_REASON_LENGTH} characters`);
    return { kind: 'goodbye', reason };
  }
  throw new LinkFrameError('no-kind', 'the frame carries none of hello, data, ack, reauth, goodbye, pq, ping, pong');
}

function exactBytes(value: unknown, field: string): Buffer {
  const bytes = Buffer.from(value as Uint8Array);
  if (bytes.length !== LINK_ID_BYTES) throw new LinkFrameError('bad-field', `${field} must be ${LINK_ID_BYTES} bytes, is ${bytes.length}`);
  return bytes;
}

/** uint64 fields decode as Long (or number); above 2^53 they cannot be counted exactly, so they are refused. */
function safeCount(value: unknown, field: string): number {
  const text = typeof value === 'number' ? String(value) : String(value as { toString(): string });
  const count = BigInt(text);
  if (count > BigInt(Number.MAX_SAFE_INTEGER)) throw new LinkFrameError('bad-field', `${field} ${text} exceeds 2^53 - 1`);
  return Number(count);
}

/**
 * Splits a byte stream into frames. A length above MAX_RECORD_BYTES is refused as soon as its
 * header arrives, so a peer cannot make this side buffer more than one bounded record.
 */
export class RecordReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** The frames completed by this chunk, in order; throws LinkFrameError on the first bad record. */
  push(chunk: Buffer): LinkFrame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: LinkFrame[] = [];
    for (;;) {
      if (this.buffered < HEADER_BYTES) return frames;
      const head = this.peek(HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length > MAX_RECORD_BYTES) throw new LinkFrameError('record-too-large', `a record of ${length} bytes exceeds ${MAX_RECORD_BYTES}`);
      if (this.buffered < HEADER_BYTES + length) return frames;
      const record = this.take(HEADER_BYTES + length);
      frames.push(decodeFrame(record.subarray(HEADER_BYTES)));
    }
  }

  /** Bytes held of a record not yet complete. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const record = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return record;
  }
}
