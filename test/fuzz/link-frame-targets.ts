/**
 * The peer link's records (actors/peer-link/frame-codec.ts, link.proto), which a peer sends before
 * and around the post-quantum session and which carry no authentication of their own: every
 * accepted frame must lie within the codec's stated bounds and encode back to itself, every
 * rejection must be a LinkFrameError, and the record reader must give the same frames however the
 * stream is cut into chunks, refusing an oversized length as soon as its header arrives.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  decodeFrame,
  encodeFrame,
  encodeFrameBody,
  LINK_ID_BYTES,
  LINK_PROTOCOL_VERSION,
  MAX_PAYLOAD_BYTES,
  MAX_REASON_LENGTH,
  MAX_RECORD_BYTES,
  MAX_TOPIC_LENGTH,
  RecordReader,
  type LinkFrame,
} from '../../actors/peer-link/frame-codec.js';
import { LinkFrameError } from '../../actors/peer-link/link-frame-error.js';
import { bytesNear, hex } from './byte-mutations.js';
import { FuzzFinding } from './fuzz-finding.js';
import { fuzzTarget, suiteOf, type FuzzSuite, type FuzzTarget } from './fuzz-target.js';
import { mustBeTyped, mustEqual, mustHold } from './oracles.js';
import { encodeWire, wireMessage } from './protobuf-wire.js';

export const LINK_TARGETS = ['link-frame', 'link-records'] as const;

const HEADER_BYTES = 4;
/** Topics and reasons a little past their limits, so the bounds are crossed both ways. */
const TEXT_PAST_LIMITS = MAX_TOPIC_LENGTH + 20;

/** One frame of each kind, as a node sends them. */
export function recordedFrames(): LinkFrame[] {
  return [
    { kind: 'hello', version: LINK_PROTOCOL_VERSION, linkId: randomBytes(LINK_ID_BYTES), incarnation: randomBytes(LINK_ID_BYTES), receiveNext: 5 },
    { kind: 'data', seq: 7, topic: 'mesh.fuzz', payload: randomBytes(32) },
    { kind: 'ack', receiveNext: 12 },
    { kind: 'reauth' },
    { kind: 'goodbye', reason: 'rotated' },
    { kind: 'pq', bytes: randomBytes(48) },
  ];
}

/** The decoder under test; a test plants a broken one to see the oracle catch it. */
export type FrameDecoder = (body: Uint8Array) => LinkFrame;

export interface LinkTargetOptions {
  decode?: FrameDecoder;
}

/** The codec's stated bounds on a decoded frame, checked independently of the decoder's own checks. */
function checkBounds(frame: LinkFrame): void {
  const count = (value: number, field: string) => mustHold(Number.isSafeInteger(value) && value >= 0, `${field} ${value} is not a count in 0..2^53-1`);
  switch (frame.kind) {
    case 'hello':
      mustHold(frame.version === LINK_PROTOCOL_VERSION, `hello.version ${frame.version} accepted; only ${LINK_PROTOCOL_VERSION} is spoken`);
      mustHold(frame.linkId.length === LINK_ID_BYTES && frame.incarnation.length === LINK_ID_BYTES, `hello ids of ${frame.linkId.length} and ${frame.incarnation.length} bytes accepted`);
      count(frame.receiveNext, 'hello.receiveNext');
      return;
    case 'data':
      mustHold(frame.topic.length >= 1 && frame.topic.length <= MAX_TOPIC_LENGTH, `a topic of ${frame.topic.length} characters accepted`);
      mustHold(frame.payload.length <= MAX_PAYLOAD_BYTES, `a payload of ${frame.payload.length} bytes accepted`);
      count(frame.seq, 'data.seq');
      return;
    case 'ack':
      count(frame.receiveNext, 'ack.receiveNext');
      return;
    case 'goodbye':
      mustHold(frame.reason.length <= MAX_REASON_LENGTH, `a goodbye reason of ${frame.reason.length} characters accepted`);
      return;
    case 'pq':
      mustHold(frame.bytes.length > 0, 'an empty pq record accepted');
      return;
    case 'reauth':
      return;
  }
}

/** Decodes one body under the oracle; the case's outcome. */
function judgeFrame(decode: FrameDecoder, body: Uint8Array): string {
  let frame: LinkFrame;
  try {
    frame = decode(body);
  } catch (error) {
    return mustBeTyped(error, [LinkFrameError], 'decodeFrame');
  }
  checkBounds(frame);
  mustEqual(decode(encodeFrameBody(frame)), frame, 'the accepted frame encoded and decoded again');
  return `accepted: ${frame.kind}`;
}

function frameTarget(decode: FrameDecoder, bodies: Uint8Array[]): FuzzTarget<Uint8Array> {
  const wire = wireMessage({ maxField: 7, maxDepth: 2, maxText: TEXT_PAST_LIMITS }).map(encodeWire);
  return fuzzTarget('link-frame', fc.oneof(bytesNear(bodies), wire), (body) => judgeFrame(decode, body), hex);
}

interface Stream {
  bytes: Uint8Array;
  /** Where the stream is cut into the chunks a socket delivers. */
  cuts: number[];
}

/** What the record reader must give for a whole stream, worked out record by record. */
function expectedRecords(bytes: Buffer): { frames: LinkFrame[]; error?: { rule: string; headerEnd: number }; pending: number } {
  const frames: LinkFrame[] = [];
  let offset = 0;
  while (bytes.length - offset >= HEADER_BYTES) {
    const length = bytes.readUInt32BE(offset);
    if (length > MAX_RECORD_BYTES) return { frames, error: { rule: 'record-too-large', headerEnd: offset + HEADER_BYTES }, pending: 0 };
    if (bytes.length - offset < HEADER_BYTES + length) break;
    try {
      frames.push(decodeFrame(bytes.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length)));
    } catch (error) {
      mustBeTyped(error, [LinkFrameError], 'decodeFrame');
      return { frames, error: { rule: (error as LinkFrameError).rule, headerEnd: offset + HEADER_BYTES + length }, pending: 0 };
    }
    offset += HEADER_BYTES + length;
  }
  return { frames, pending: bytes.length - offset };
}

/** The reader decodes with the codec's own decodeFrame, so that is what the expected frames come from. */
function recordsTarget(streams: Uint8Array[]): FuzzTarget<Stream> {
  const stream = fc.record({ bytes: bytesNear(streams), cuts: fc.array(fc.nat(), { maxLength: 8 }) });
  const judge = ({ bytes, cuts }: Stream): string => {
    const whole = Buffer.from(bytes);
    const expected = expectedRecords(whole);
    const points = [...new Set(cuts.map((cut) => cut % (whole.length + 1)))].sort((a, b) => a - b);
    const reader = new RecordReader();
    const frames: LinkFrame[] = [];
    let start = 0;
    for (const end of [...points, whole.length]) {
      try {
        frames.push(...reader.push(whole.subarray(start, end)));
      } catch (error) {
        const outcome = mustBeTyped(error, [LinkFrameError], 'RecordReader.push');
        mustEqual((error as LinkFrameError).rule, expected.error?.rule, `the reader's error rule (chunk ending at byte ${end})`);
        // Refused as soon as the bad record's header (or, for a bad body, the record) was complete.
        mustHold(expected.error !== undefined && expected.error.headerEnd > start && expected.error.headerEnd <= end, `the reader refused at the chunk ${start}..${end}, the bad record was complete at byte ${expected.error?.headerEnd}`);
        // Frames completed in the same chunk as the bad record go with the connection it closes.
        mustEqual(frames, expected.frames.slice(0, frames.length), 'the frames read before the error');
        return outcome;
      }
      mustHold(reader.pendingBytes < HEADER_BYTES + MAX_RECORD_BYTES, `the reader holds ${reader.pendingBytes} bytes, more than one record`);
      start = end;
    }
    if (expected.error) throw new FuzzFinding('invariant-broken', `the reader accepted a stream with a bad record (${expected.error.rule})`);
    mustEqual(frames, expected.frames, 'the frames read chunk by chunk');
    mustEqual(reader.pendingBytes, expected.pending, 'the bytes held of an incomplete record');
    return `accepted: ${frames.length === 0 ? 'no' : frames.length < 3 ? 'some' : 'several'} frames`;
  };
  return fuzzTarget('link-records', stream, judge, ({ bytes, cuts }) => `${hex(bytes)} cut at ${cuts.join(',')}`);
}

export async function linkTargets(options: LinkTargetOptions = {}): Promise<FuzzSuite> {
  const decode = options.decode ?? decodeFrame;
  const frames = recordedFrames();
  const bodies = frames.map((frame) => encodeFrameBody(frame));
  const records = frames.map((frame) => encodeFrame(frame));
  // Streams of several records, so a cut, a bad length or a bad body lands between good ones.
  const streams = [Buffer.concat(records), Buffer.concat([records[1]!, records[2]!, records[1]!]), records[0]!];
  return suiteOf([frameTarget(decode, bodies), recordsTarget(streams)]);
}
