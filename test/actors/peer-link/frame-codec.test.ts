/**
 * The peer link's records: every frame kind round-trips; every bad record (too long, not
 * protobuf, no kind, a field out of its bounds) is a LinkFrameError naming its rule; records
 * split anywhere across chunks decode the same; and no byte string makes the reader throw
 * anything else (property-based).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  encodeFrame,
  encodeFrameBody,
  LINK_ID_BYTES,
  LINK_PROTOCOL_VERSION,
  MAX_PAYLOAD_BYTES,
  MAX_RECORD_BYTES,
  MAX_TOPIC_LENGTH,
  pqRecordHead,
  RecordReader,
  type LinkFrame,
} from '../../../actors/peer-link/frame-codec.js';
import { LinkFrameError } from '../../../actors/peer-link/link-frame-error.js';

const hello: LinkFrame = { kind: 'hello', version: LINK_PROTOCOL_VERSION, linkId: randomBytes(LINK_ID_BYTES), incarnation: randomBytes(LINK_ID_BYTES), receiveNext: 42 };
const frames: LinkFrame[] = [
  hello,
  { kind: 'data', seq: 0, topic: 'test.mesh', payload: Buffer.from('{"n":1}') },
  { kind: 'data', seq: Number.MAX_SAFE_INTEGER, topic: 'x', payload: Buffer.alloc(0) },
  { kind: 'ack', receiveNext: 7 },
  { kind: 'reauth' },
  { kind: 'goodbye', reason: 're-authenticated' },
  { kind: 'ping', nonce: 0 },
  { kind: 'ping', nonce: 2 ** 32 - 1 },
  { kind: 'pong', nonce: 17 },
];

/** A frame body written field by field, for what encodeFrame would never produce. */
function rawBody(write: (writer: protobuf.Writer) => void): Buffer {
  const writer = protobuf.Writer.create();
  write(writer);
  return Buffer.from(writer.finish());
}

function record(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

function ruleOf(body: Buffer): string {
  try {
    decodeFrame(body);
  } catch (error) {
    expect(error).toBeInstanceOf(LinkFrameError);
    return (error as LinkFrameError).rule;
  }
  throw new Error('decoded');
}

describe('peer link records', () => {
  it('round-trips every frame kind, also when the records arrive one byte at a time', () => {
    const stream = Buffer.concat(frames.map(encodeFrame));
    expect(new RecordReader().push(stream)).toEqual(frames);
    const reader = new RecordReader();
    const decoded: LinkFrame[] = [];
    for (const byte of stream) decoded.push(...reader.push(Buffer.from([byte])));
    expect(decoded).toEqual(frames);
    expect(reader.pendingBytes).toBe(0);
  });

  it('refuses a record longer than the limit as soon as its header arrives', () => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(MAX_RECORD_BYTES + 1);
    expect(() => new RecordReader().push(head)).toThrow(expect.objectContaining({ rule: 'record-too-large' }));
    expect(() => encodeFrame({ kind: 'data', seq: 0, topic: 't', payload: Buffer.alloc(MAX_RECORD_BYTES) })).toThrow(expect.objectContaining({ rule: 'record-too-large' }));
  });

  it('names the rule each malformed body breaks', () => {
    expect(ruleOf(Buffer.from([0xff, 0xff, 0xff]))).toBe('malformed');
    expect(ruleOf(Buffer.alloc(0))).toBe('no-kind');
    // A field number no frame kind uses: skipped as unknown, leaving no kind.
    expect(ruleOf(rawBody((w) => w.uint32((9 << 3) | 0).uint32(1)))).toBe('no-kind');
    const helloWith = (fields: (w: protobuf.Writer) => protobuf.Writer) => rawBody((w) => fields(w.uint32((1 << 3) | 2).fork()).ldelim());
    const id = randomBytes(LINK_ID_BYTES);
    expect(ruleOf(helloWith((w) => w.uint32(8).uint32(2).uint32(18).bytes(id).uint32(26).bytes(id)))).toBe('bad-field');
    expect(ruleOf(helloWith((w) => w.uint32(8).uint32(1).uint32(18).bytes(id.subarray(1)).uint32(26).bytes(id)))).toBe('bad-field');
    expect(ruleOf(helloWith((w) => w.uint32(8).uint32(1).uint32(18).bytes(id)))).toBe('bad-field');
    expect(ruleOf(helloWith((w) => w.uint32(8).uint32(1).uint32(18).bytes(id).uint32(26).bytes(id).uint32(32).uint64('18446744073709551615')))).toBe('bad-field');
    const dataWith = (fields: (w: protobuf.Writer) => protobuf.Writer) => rawBody((w) => fields(w.uint32((2 << 3) | 2).fork()).ldelim());
    expect(ruleOf(dataWith((w) => w.uint32(8).uint64(1).uint32(18).string('')))).toBe('bad-field');
    expect(ruleOf(dataWith((w) => w.uint32(8).uint64(1).uint32(18).string('t'.repeat(MAX_TOPIC_LENGTH + 1))))).toBe('bad-field');
    expect(ruleOf(dataWith((w) => w.uint32(8).uint64(1).uint32(18).string('t').uint32(26).bytes(Buffer.alloc(MAX_PAYLOAD_BYTES + 1))))).toBe('bad-field');
    expect(ruleOf(dataWith((w) => w.uint32(8).uint64(2 ** 53).uint32(18).string('t')))).toBe('bad-field');
    expect(ruleOf(rawBody((w) => w.uint32((5 << 3) | 2).fork().uint32(10).string('r'.repeat(201)).ldelim()))).toBe('bad-field');
    // Truncated inside a field.
    expect(ruleOf(encodeFrame(hello).subarray(4, 20))).toBe('malformed');
  });

  it('decodes a Uint8Array as it decodes a Buffer, invalid UTF-8 included, and what it decodes encodes back to itself', () => {
    // An encoded surrogate (invalid UTF-8) as the topic: protobufjs's own decoder, used for plain Uint8Arrays, made it a lone surrogate (found by test/fuzz).
    const body = rawBody((w) => w.uint32((2 << 3) | 2).fork().uint32(8).uint64(1).uint32(18).bytes(Buffer.from([0xed, 0xa0, 0x80])).ldelim());
    const frame = decodeFrame(new Uint8Array(body));
    expect(frame).toEqual(decodeFrame(body));
    expect(decodeFrame(encodeFrameBody(frame))).toEqual(frame);
  });

  it('never throws anything but a LinkFrameError, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const reader = new RecordReader();
        try {
          reader.push(record(Buffer.from(bytes)));
        } catch (error) {
          if (!(error instanceof LinkFrameError)) throw error;
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('decodes whatever it encodes (data frames of any topic, payload and sequence number)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 50 }),
        fc.uint8Array({ maxLength: 2_000 }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        (topic, payload, seq) => {
          const frame: LinkFrame = { kind: 'data', seq, topic, payload: Buffer.from(payload) };
          expect(new RecordReader().push(encodeFrame(frame))).toEqual([frame]);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('writes the head of a pq record so that head ‖ sealed frame is the record encodeFrame makes, at every varint length boundary', () => {
    for (const size of [0, 1, 127, 128, 16_383, 16_384, 64 * 1024 + 35, MAX_RECORD_BYTES - 8]) {
      const bytes = randomBytes(size);
      expect(Buffer.concat([pqRecordHead(size), bytes]).equals(encodeFrame({ kind: 'pq', bytes }))).toBe(true);
    }
  });

  it('refuses to head a pq record longer than a record may be', () => {
    expect(() => pqRecordHead(MAX_RECORD_BYTES)).toThrow(LinkFrameError);
  });
});
