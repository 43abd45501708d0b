/**
 * The indirect probe's messages on the wire (lib/mesh/indirect-probe-message.ts): a request, an
 * answer "alive" and an answer "silent" come back as they were sent, at the nonce's bounds (0, 1,
 * 0xffffffff) and the subject's (one byte of path to 2,048 bytes, multi-byte UTF-8 counted in
 * bytes); the encoder refuses an empty or oversized subject and a nonce that is no u32; the decoder
 * refuses, with its reason, a message over the cap before reading anything of it, one too short, of
 * another version, of an unknown kind, whose subject is not UTF-8 or not a SPIFFE ID. Mutated
 * messages, exhaustively and at random, either decode to a message that encodes back to the same
 * bytes or are refused with an IndirectProbeError: a peer's bytes never raise any other error.
 */
import { describe, expect, it } from 'vitest';
import {
  IndirectProbeError,
  MAX_PROBE_MESSAGE_BYTES,
  PROBE_TOPIC,
  decodeIndirectProbe,
  encodeIndirectProbe,
  type IndirectProbeMessage,
  type IndirectProbeRefusal,
} from '../../../lib/mesh/indirect-probe-message.js';

const B = 'spiffe://mesh.test/node/b';
/** Version, kind and nonce: the bytes before the subject. */
const HEAD_BYTES = 6;
const MAX_SUBJECT_BYTES = MAX_PROBE_MESSAGE_BYTES - HEAD_BYTES;

/** A SPIFFE ID of exactly `bytes` UTF-8 bytes, its path made of `unit` repeated (and ASCII to fill up). */
function subjectOf(bytes: number, unit = 'n'): string {
  const prefix = 'spiffe://mesh.test/';
  const unitBytes = Buffer.byteLength(unit, 'utf8');
  const units = Math.floor((bytes - prefix.length) / unitBytes);
  const subject = prefix + unit.repeat(units) + 'n'.repeat(bytes - prefix.length - units * unitBytes);
  expect(Buffer.byteLength(subject, 'utf8')).toBe(bytes);
  return subject;
}

function refusal(bytes: Uint8Array): IndirectProbeRefusal {
  try {
    decodeIndirectProbe(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(IndirectProbeError);
    expect((error as Error).name).toBe('IndirectProbeError');
    return (error as IndirectProbeError).reason;
  }
  throw new Error('the message was accepted');
}

/** A message written byte by byte, to say what the encoder would not. */
function raw(version: number, kind: number, nonce: number, subject: Uint8Array): Buffer {
  const head = Buffer.alloc(HEAD_BYTES);
  head[0] = version;
  head[1] = kind;
  head.writeUInt32BE(nonce, 2);
  return Buffer.concat([head, subject]);
}

/** mulberry32: a small seeded generator, so the random fuzz below is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The decoder's contract on any bytes: a message whose encoding is exactly those bytes (nothing
 * read loosely, nothing dropped), or an IndirectProbeError (never a RangeError from a read past the
 * end, a TypeError, or the encoder's refusal of something the decoder let through).
 */
function decodesCanonicallyOrRefuses(bytes: Uint8Array, label: string): 'accepted' | IndirectProbeRefusal {
  let message: IndirectProbeMessage;
  try {
    message = decodeIndirectProbe(bytes);
  } catch (error) {
    if (!(error instanceof IndirectProbeError)) throw new Error(`${label}: ${String(error)}`);
    return error.reason;
  }
  expect(Buffer.from(encodeIndirectProbe(message)).equals(Buffer.from(bytes)), label).toBe(true);
  return 'accepted';
}

describe('indirect probe messages', () => {
  it('travel on the reserved topic $probe, a topic no actor can take', () => {
    expect(PROBE_TOPIC).toBe('$probe');
    expect(MAX_PROBE_MESSAGE_BYTES).toBe(6 + 2_048);
  });

  it('come back as sent: a request, an answer alive and an answer silent, at every nonce bound', () => {
    for (const nonce of [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff]) {
      const messages: IndirectProbeMessage[] = [
        { kind: 'request', nonce, subject: B },
        { kind: 'answer', nonce, subject: B, alive: true },
        { kind: 'answer', nonce, subject: B, alive: false },
      ];
      for (const message of messages) {
        const bytes = encodeIndirectProbe(message);
        expect(bytes.length).toBe(HEAD_BYTES + Buffer.byteLength(B));
        // toStrictEqual: a request carries no `alive`, an answer always does.
        expect(decodeIndirectProbe(bytes), `${message.kind} ${nonce}`).toStrictEqual(message);
      }
    }
  });

  it('are laid out as version 1, kind (0 request, 1 silent, 2 alive), big-endian nonce, then the subject', () => {
    // The layout is what another node's build reads: pinned byte for byte, not just round-tripped.
    const subject = Buffer.from(B, 'utf8');
    expect(encodeIndirectProbe({ kind: 'request', nonce: 0x0102_0304, subject: B })).toEqual(Buffer.concat([Buffer.from([1, 0, 1, 2, 3, 4]), subject]));
    expect(encodeIndirectProbe({ kind: 'answer', nonce: 0xffff_fffe, subject: B, alive: false })).toEqual(Buffer.concat([Buffer.from([1, 1, 0xff, 0xff, 0xff, 0xfe]), subject]));
    expect(encodeIndirectProbe({ kind: 'answer', nonce: 0, subject: B, alive: true })).toEqual(Buffer.concat([Buffer.from([1, 2, 0, 0, 0, 0]), subject]));
    expect(decodeIndirectProbe(raw(1, 2, 0xdead_beef, subject))).toStrictEqual({ kind: 'answer', nonce: 0xdead_beef, subject: B, alive: true });
  });

  it('come back as sent with the shortest subject and the longest, multi-byte UTF-8 counted in bytes', () => {
    const subjects = [
      'spiffe://',
      'spiffe://a',
      subjectOf(MAX_SUBJECT_BYTES),
      // 2-, 3- and 4-byte characters (é, 網, 🙂), each filling the subject to exactly 2,048 bytes.
      subjectOf(MAX_SUBJECT_BYTES, 'é'),
      subjectOf(MAX_SUBJECT_BYTES, '網'),
      subjectOf(MAX_SUBJECT_BYTES, '🙂'),
      'spiffe://mesh.test/ünïcode/網/🙂',
    ];
    for (const subject of subjects) {
      for (const message of [
        { kind: 'request', nonce: 7, subject },
        { kind: 'answer', nonce: 7, subject, alive: true },
        { kind: 'answer', nonce: 7, subject, alive: false },
      ] satisfies IndirectProbeMessage[]) {
        const bytes = encodeIndirectProbe(message);
        expect(bytes.length).toBe(HEAD_BYTES + Buffer.byteLength(subject, 'utf8'));
        expect(bytes.length).toBeLessThanOrEqual(MAX_PROBE_MESSAGE_BYTES);
        expect(decodeIndirectProbe(bytes)).toStrictEqual(message);
      }
    }
    expect(encodeIndirectProbe({ kind: 'request', nonce: 1, subject: subjectOf(MAX_SUBJECT_BYTES) }).length).toBe(MAX_PROBE_MESSAGE_BYTES);
  });

  it('decode from any view of bytes: a plain Uint8Array, and a slice at an offset in a larger buffer', () => {
    const bytes = encodeIndirectProbe({ kind: 'answer', nonce: 0x0a0b_0c0d, subject: B, alive: true });
    expect(decodeIndirectProbe(new Uint8Array(bytes))).toStrictEqual({ kind: 'answer', nonce: 0x0a0b_0c0d, subject: B, alive: true });
    // A frame's payload is a view into the frame: the nonce must be read at the view's offset, not the buffer's start.
    const frame = Buffer.concat([Buffer.from([9, 9, 9, 9, 9, 9, 9]), bytes, Buffer.from([9])]);
    const view = new Uint8Array(frame.buffer, frame.byteOffset + 7, bytes.length);
    expect(decodeIndirectProbe(view)).toStrictEqual({ kind: 'answer', nonce: 0x0a0b_0c0d, subject: B, alive: true });
  });

  it('are not written with an empty or oversized subject, or a nonce that is no u32', () => {
    expect(() => encodeIndirectProbe({ kind: 'request', nonce: 1, subject: '' })).toThrow(RangeError);
    expect(() => encodeIndirectProbe({ kind: 'request', nonce: 1, subject: subjectOf(MAX_SUBJECT_BYTES + 1) })).toThrow(RangeError);
    // Bytes, not characters: 1,025 two-byte characters are 2,050 bytes though the string is far below 2,048.
    const wide = `spiffe://${'é'.repeat(1_025)}`;
    expect(wide.length).toBeLessThan(MAX_SUBJECT_BYTES);
    expect(() => encodeIndirectProbe({ kind: 'answer', nonce: 1, subject: wide, alive: true })).toThrow(RangeError);
    for (const nonce of [-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.5]) {
      expect(() => encodeIndirectProbe({ kind: 'request', nonce, subject: B }), String(nonce)).toThrow(RangeError);
      expect(() => encodeIndirectProbe({ kind: 'answer', nonce, subject: B, alive: false }), String(nonce)).toThrow(RangeError);
    }
  });

  it('are written only as their reader takes them: a SPIFFE ID of well-formed text', () => {
    expect(() => encodeIndirectProbe({ kind: 'request', nonce: 1, subject: 'node-b' })).toThrow(RangeError);
    // A lone surrogate would be written as U+FFFD and read back as another subject.
    expect(() => encodeIndirectProbe({ kind: 'request', nonce: 1, subject: 'spiffe://a\uD800' })).toThrow(RangeError);
  });

  it('refuse a subject behind a byte-order mark rather than drop the mark: one message, one encoding', () => {
    expect(refusal(Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 7, 0xef, 0xbb, 0xbf]), Buffer.from('spiffe://x')]))).toBe('malformed');
  });

  it('refuse a message over the cap as oversized before reading anything of it', () => {
    const longest = encodeIndirectProbe({ kind: 'request', nonce: 1, subject: subjectOf(MAX_SUBJECT_BYTES) });
    expect(refusal(Buffer.concat([longest, Buffer.from('n')]))).toBe('oversized');
    // Wrong version, unknown kind and a subject that is neither UTF-8 nor a SPIFFE ID: the size is what is reported.
    expect(refusal(Buffer.alloc(MAX_PROBE_MESSAGE_BYTES + 1, 0xff))).toBe('oversized');
    expect(refusal(Buffer.alloc(MAX_PROBE_MESSAGE_BYTES + 1))).toBe('oversized');
    expect(refusal(Buffer.alloc(1_000_000))).toBe('oversized');
    // One byte less is read, and refused for what it is.
    expect(refusal(Buffer.alloc(MAX_PROBE_MESSAGE_BYTES, 0xff))).toBe('malformed');
  });

  it('refuse a message too short to hold a head and a one-byte subject', () => {
    const bytes = encodeIndirectProbe({ kind: 'request', nonce: 1, subject: B });
    for (let length = 0; length <= HEAD_BYTES; length++) {
      expect(refusal(bytes.subarray(0, length)), `cut at ${length}`).toBe('malformed');
      // Said as too short, not as some later check's failure on bytes it should never have read.
      expect(() => decodeIndirectProbe(bytes.subarray(0, length)), `cut at ${length}`).toThrow(/too short/);
    }
    expect(refusal(raw(1, 0, 1, Buffer.alloc(0)))).toBe('malformed');
  });

  it('refuse another version and an unknown kind', () => {
    const subject = Buffer.from(B, 'utf8');
    for (const version of [0, 2, 0x7f, 0xff]) expect(refusal(raw(version, 0, 1, subject)), `version ${version}`).toBe('malformed');
    for (const kind of [3, 4, 0x80, 0xff]) expect(refusal(raw(1, kind, 1, subject)), `kind ${kind}`).toBe('malformed');
    for (const kind of [0, 1, 2]) expect(decodeIndirectProbe(raw(1, kind, 1, subject)).kind).toBe(kind === 0 ? 'request' : 'answer');
  });

  it('refuse a subject that is not UTF-8, or not a SPIFFE ID', () => {
    const prefix = Buffer.from('spiffe://mesh.test/', 'utf8');
    const notUtf8 = [
      Buffer.from([0xff]),
      Buffer.from([0xc3]), // a two-byte sequence cut short
      Buffer.from([0xc0, 0xaf]), // an overlong '/'
      Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate
      Buffer.from([0xf4, 0x90, 0x80, 0x80]), // past U+10FFFF
      Buffer.from([0x80]),
    ];
    for (const tail of notUtf8) {
      expect(refusal(raw(1, 0, 1, Buffer.concat([prefix, tail]))), tail.toString('hex')).toBe('malformed');
      expect(refusal(raw(1, 2, 1, Buffer.concat([prefix, tail, Buffer.from('a')]))), tail.toString('hex')).toBe('malformed');
    }
    for (const subject of ['x', 'spiffe:/mesh.test/a', 'SPIFFE://mesh.test/a', ' spiffe://mesh.test/a', 'https://mesh.test/a', 'spiffe:', '\u0000spiffe://a']) {
      expect(refusal(raw(1, 0, 1, Buffer.from(subject, 'utf8'))), subject).toBe('malformed');
    }
  });

  it('say why in the message of the error they throw', () => {
    try {
      decodeIndirectProbe(raw(3, 0, 1, Buffer.from(B)));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(IndirectProbeError);
      expect((error as Error).message).toMatch(/refused as malformed: version 3/);
    }
  });

  it('decoded from every one-byte change of a message: the same bytes back, or an IndirectProbeError', () => {
    // Exhaustive over each position and each byte value: 256 × every byte of a short message, of each kind.
    const outcomes = new Map<string, number>();
    for (const message of [
      { kind: 'request', nonce: 0x0102_0304, subject: 'spiffe://m/é' },
      { kind: 'answer', nonce: 0, subject: 'spiffe://m/a', alive: true },
      { kind: 'answer', nonce: 0xffff_ffff, subject: 'spiffe://m/a', alive: false },
    ] satisfies IndirectProbeMessage[]) {
      const bytes = encodeIndirectProbe(message);
      for (let position = 0; position < bytes.length; position++) {
        for (let value = 0; value < 256; value++) {
          const mutated = Buffer.from(bytes);
          mutated[position] = value;
          const outcome = decodesCanonicallyOrRefuses(mutated, `byte ${position} = ${value}`);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      }
    }
    // The sweep reached both sides of the contract, not only refusals.
    expect(outcomes.get('accepted')).toBeGreaterThan(1_000);
    expect(outcomes.get('malformed')).toBeGreaterThan(1_000);
  });

  it('decoded from seeded random mutations (flips, cuts, inserts, splices): the same bytes back, or an IndirectProbeError', () => {
    const random = seeded(0x5eed_0001);
    const int = (below: number) => Math.floor(random() * below);
    const interesting = [0, 1, 2, 3, 0x2f, 0x3a, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xff];
    const seeds = [
      encodeIndirectProbe({ kind: 'request', nonce: 42, subject: B }),
      encodeIndirectProbe({ kind: 'answer', nonce: 1, subject: 'spiffe://mesh.test/網/🙂', alive: true }),
      encodeIndirectProbe({ kind: 'answer', nonce: 0xffff_ffff, subject: subjectOf(MAX_SUBJECT_BYTES - 2, '🙂'), alive: false }),
    ];
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 5_000; round++) {
      let bytes = Buffer.from(seeds[int(seeds.length)]!);
      for (let step = 1 + int(4); step > 0; step--) {
        const at = int(bytes.length + 1);
        switch (int(6)) {
          case 0: // flip one bit
            if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)]! ^= 1 << int(8);
            break;
          case 1: // an interesting byte in place
            if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = interesting[int(interesting.length)]!;
            break;
          case 2: // insert bytes
            bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(4) }, () => int(256))), bytes.subarray(at)]);
            break;
          case 3: // delete bytes
            bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + int(4))]);
            break;
          case 4: // cut short
            bytes = bytes.subarray(0, at);
            break;
          default: // splice in a run of the message itself (a repeated subject, a doubled head)
            bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(int(bytes.length), int(bytes.length + 1) + 8), bytes.subarray(at)]);
        }
      }
      const outcome = decodesCanonicallyOrRefuses(bytes, `round ${round}: ${bytes.toString('hex').slice(0, 80)}`);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(outcomes.get('accepted')).toBeGreaterThan(100);
    expect(outcomes.get('malformed')).toBeGreaterThan(100);
    expect(outcomes.get('oversized')).toBeGreaterThan(0);
  });
});
