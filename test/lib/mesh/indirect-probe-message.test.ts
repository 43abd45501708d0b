/**
 * The indirect probe's messages on the wire, version 2 (lib/mesh/indirect-probe-message.ts): a
 * request, a ping, an ack and an answer (with the subject's signature or without proof) come back
 * as they were sent, for any 16-byte nonce, IDs from the shortest SPIFFE ID to 2,048 bytes (multi-byte
 * UTF-8 counted in bytes) and signatures up to the bound, laid out byte for byte as another node's
 * build reads them. What the subject signs (probeAckSigned) is pinned and binds the nonce and both
 * IDs, no two of them alike. The encoder refuses what the decoder would refuse: a nonce of another
 * length, an ID that is not a SPIFFE ID of well-formed text within the bound, an ack without a
 * signature, a signature over the bound. The decoder refuses, with its reason, a message over the
 * cap before reading anything of it, one too short, of another version or an unknown kind, with a
 * field cut short, bytes after the message, an ack without a signature, an ID that is not UTF-8,
 * kept behind a byte-order mark, or not a SPIFFE ID. Mutated messages, exhaustively and at random,
 * either decode to a message that encodes back to the same bytes or are refused with an
 * IndirectProbeError: a peer's bytes never raise any other error.
 */
import { describe, expect, it } from 'vitest';
import {
  IndirectProbeError,
  MAX_PROBE_MESSAGE_BYTES,
  PROBE_NONCE_BYTES,
  PROBE_TOPIC,
  decodeIndirectProbe,
  encodeIndirectProbe,
  isProbeSubject,
  probeAckSigned,
  type IndirectProbeMessage,
  type IndirectProbeRefusal,
} from '../../../lib/mesh/indirect-probe-message.js';

const R = 'spiffe://mesh.test/node/r';
const S = 'spiffe://mesh.test/node/s';
/** Version, kind and nonce: the bytes before the first field. */
const HEAD_BYTES = 2 + PROBE_NONCE_BYTES;
const MAX_ID_BYTES = 2_048;
/** What the cap leaves a signature once an ack's head, its three length prefixes and two longest IDs are counted. */
const MAX_SIGNATURE_BYTES = MAX_PROBE_MESSAGE_BYTES - HEAD_BYTES - 3 * 2 - 2 * MAX_ID_BYTES;
/** An ML-DSA-65 signature's size. */
const MLDSA65_SIGNATURE_BYTES = 3_309;

/** Nonces at the bounds of what 16 bytes hold, and one of distinct bytes (so a byte read out of place shows). */
const NONCES = [Buffer.alloc(16), Buffer.alloc(16, 0xff), Buffer.from(Array.from({ length: 16 }, (_, index) => index + 1)), Buffer.from('80000000000000000000000000000001', 'hex')];
const NONCE = NONCES[2]!;

/** A SPIFFE ID of exactly `bytes` UTF-8 bytes, its path made of `unit` repeated (and ASCII to fill up). */
function idOf(bytes: number, unit = 'n'): string {
  const prefix = 'spiffe://mesh.test/';
  const unitBytes = Buffer.byteLength(unit, 'utf8');
  const units = Math.floor((bytes - prefix.length) / unitBytes);
  const id = prefix + unit.repeat(units) + 'n'.repeat(bytes - prefix.length - units * unitBytes);
  expect(Buffer.byteLength(id, 'utf8')).toBe(bytes);
  return id;
}

/** A signature-like run of `length` bytes, each different from its neighbours. */
function signatureOf(length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, index) => (index * 7 + 3) & 0xff));
}

/** Every kind of message about `subject`, the answer both with proof and without. */
function everyKind(nonce: Buffer, requester: string, subject: string, signature: Buffer): IndirectProbeMessage[] {
  return [
    { kind: 'request', nonce, subject },
    { kind: 'ping', nonce, requester, subject },
    { kind: 'ack', nonce, requester, subject, signature },
    { kind: 'answer', nonce, subject, signature },
    { kind: 'answer', nonce, subject, signature: undefined },
  ];
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

/** A length-prefixed field as the wire carries it: a big-endian u16 length, then the bytes. */
function field(bytes: Uint8Array | string): Buffer {
  const body = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(body.length);
  return Buffer.concat([head, body]);
}

/** A message written byte by byte, to say what the encoder would not: a head, then whatever `rest` holds. */
function raw(version: number, kind: number, nonce: Buffer, ...rest: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([version, kind]), nonce, ...rest]);
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
  let again: Buffer;
  try {
    again = encodeIndirectProbe(message);
  } catch (error) {
    throw new Error(`${label}: decoded, then refused by the encoder: ${String(error)}`);
  }
  expect(again.equals(Buffer.from(bytes)), label).toBe(true);
  return 'accepted';
}

describe('indirect probe messages: the format', () => {
  it('travel on the reserved topic $probe, with a 16-byte nonce and a cap that holds the largest ack exactly', () => {
    expect(PROBE_TOPIC).toBe('$probe');
    expect(PROBE_NONCE_BYTES).toBe(16);
    // Room for ML-DSA-65's 3,309-byte signature and the larger parameter sets' (ML-DSA-87's 4,627).
    expect(MAX_SIGNATURE_BYTES).toBe(4_800);
    expect(MAX_PROBE_MESSAGE_BYTES).toBe(18 + 6 + 2 * 2_048 + 4_800);
    const largest = encodeIndirectProbe({ kind: 'ack', nonce: NONCE, requester: idOf(MAX_ID_BYTES), subject: idOf(MAX_ID_BYTES, '🙂'), signature: signatureOf(MAX_SIGNATURE_BYTES) });
    expect(largest.length).toBe(MAX_PROBE_MESSAGE_BYTES);
    expect(decodeIndirectProbe(largest).kind).toBe('ack');
  });

  it('come back as sent: every kind, the answer with proof and without, at every nonce', () => {
    for (const nonce of NONCES) {
      for (const message of everyKind(nonce, R, S, signatureOf(MLDSA65_SIGNATURE_BYTES))) {
        // toStrictEqual: a request carries no requester, an answer without proof an undefined signature, never an empty one.
        expect(decodeIndirectProbe(encodeIndirectProbe(message)), `${message.kind} ${nonce.toString('hex')}`).toStrictEqual(message);
      }
    }
  });

  it('are laid out as version 2, kind (0 request, 1 ping, 2 ack, 3 answer), the nonce, then each field length-prefixed', () => {
    // The layout is what another node's build reads: pinned byte for byte, not just round-tripped.
    const signature = Buffer.from([0xaa, 0xbb, 0xcc]);
    expect(encodeIndirectProbe({ kind: 'request', nonce: NONCE, subject: S })).toEqual(Buffer.concat([Buffer.from([2, 0]), NONCE, Buffer.from([0, 25]), Buffer.from(S)]));
    expect(encodeIndirectProbe({ kind: 'ping', nonce: NONCE, requester: R, subject: S })).toEqual(Buffer.concat([Buffer.from([2, 1]), NONCE, Buffer.from([0, 25]), Buffer.from(R), Buffer.from([0, 25]), Buffer.from(S)]));
    expect(encodeIndirectProbe({ kind: 'ack', nonce: NONCE, requester: R, subject: S, signature })).toEqual(Buffer.concat([Buffer.from([2, 2]), NONCE, field(R), field(S), Buffer.from([0, 3, 0xaa, 0xbb, 0xcc])]));
    expect(encodeIndirectProbe({ kind: 'answer', nonce: NONCE, subject: S, signature })).toEqual(Buffer.concat([Buffer.from([2, 3]), NONCE, field(S), Buffer.from([0, 3, 0xaa, 0xbb, 0xcc])]));
    // An answer without proof still carries its signature field, empty: every answer has the same shape.
    expect(encodeIndirectProbe({ kind: 'answer', nonce: NONCE, subject: S, signature: undefined })).toEqual(Buffer.concat([Buffer.from([2, 3]), NONCE, field(S), Buffer.from([0, 0])]));
    // A length over 255 is big-endian: high byte first.
    const long = encodeIndirectProbe({ kind: 'answer', nonce: NONCE, subject: S, signature: signatureOf(MLDSA65_SIGNATURE_BYTES) });
    expect(long.subarray(HEAD_BYTES + 2 + 25, HEAD_BYTES + 2 + 25 + 2)).toEqual(Buffer.from([0x0c, 0xed]));
    expect(decodeIndirectProbe(raw(2, 3, NONCE, field(S), field(signature)))).toStrictEqual({ kind: 'answer', nonce: NONCE, subject: S, signature });
  });

  it('come back as sent with the shortest IDs and the longest, multi-byte UTF-8 counted in bytes, in every ID field', () => {
    const ids = [
      'spiffe://',
      'spiffe://a',
      idOf(MAX_ID_BYTES),
      // 2-, 3- and 4-byte characters (é, 網, 🙂), each filling the ID to exactly 2,048 bytes.
      idOf(MAX_ID_BYTES, 'é'),
      idOf(MAX_ID_BYTES, '網'),
      idOf(MAX_ID_BYTES, '🙂'),
      'spiffe://mesh.test/ünïcode/網/🙂',
    ];
    for (const id of ids) {
      for (const message of [...everyKind(NONCE, id, S, Buffer.from([1])), ...everyKind(NONCE, R, id, Buffer.from([1]))]) {
        const bytes = encodeIndirectProbe(message);
        expect(bytes.length).toBeLessThanOrEqual(MAX_PROBE_MESSAGE_BYTES);
        expect(decodeIndirectProbe(bytes), `${message.kind} ${id.slice(0, 40)}`).toStrictEqual(message);
      }
    }
  });

  it('come back as sent with a one-byte signature and one at the bound', () => {
    for (const length of [1, 2, 255, 256, MLDSA65_SIGNATURE_BYTES, MAX_SIGNATURE_BYTES]) {
      const signature = signatureOf(length);
      for (const message of [{ kind: 'ack', nonce: NONCE, requester: R, subject: S, signature }, { kind: 'answer', nonce: NONCE, subject: S, signature }] satisfies IndirectProbeMessage[]) {
        expect(decodeIndirectProbe(encodeIndirectProbe(message)), `${message.kind} ${length}`).toStrictEqual(message);
      }
    }
  });

  it('decode from any view of bytes, and hold their own copies of the nonce and the signature', () => {
    const message: IndirectProbeMessage = { kind: 'ack', nonce: NONCE, requester: R, subject: S, signature: signatureOf(40) };
    const bytes = encodeIndirectProbe(message);
    expect(decodeIndirectProbe(new Uint8Array(bytes))).toStrictEqual(message);
    // A frame's payload is a view into the frame: fields must be read at the view's offset, not the buffer's start.
    const frame = Buffer.concat([Buffer.from([9, 9, 9, 9, 9, 9, 9]), bytes, Buffer.from([9])]);
    const view = new Uint8Array(frame.buffer, frame.byteOffset + 7, bytes.length);
    const decoded = decodeIndirectProbe(view);
    expect(decoded).toStrictEqual(message);
    // The frame's buffer is reused once handled; a nonce kept as a key, or a signature relayed later, must not change with it.
    frame.fill(0);
    expect(decoded).toStrictEqual(message);
  });
});

describe('indirect probe messages: what the subject signs', () => {
  it('is a domain tag, the nonce and both IDs each length-prefixed, pinned byte for byte', () => {
    expect(probeAckSigned(NONCE, R, S)).toEqual(Buffer.concat([Buffer.from('x0tta6bl4 indirect-probe ack v1\0', 'utf8'), NONCE, field(R), field(S)]));
  });

  it('differs with the nonce, the requester, the subject, their order, and where one ID ends and the next begins', () => {
    const other = Buffer.from(NONCE);
    other[15]! ^= 1;
    const signed = [
      probeAckSigned(NONCE, R, S),
      probeAckSigned(other, R, S),
      probeAckSigned(NONCE, 'spiffe://mesh.test/node/r2', S),
      probeAckSigned(NONCE, R, 'spiffe://mesh.test/node/s2'),
      // The requester and the subject swapped: S's proof for R is no proof of R for S.
      probeAckSigned(NONCE, S, R),
      // The same bytes in a row, split at another place: without the length prefixes these two would sign alike.
      probeAckSigned(NONCE, 'spiffe://x', 'spiffe://yspiffe://z'),
      probeAckSigned(NONCE, 'spiffe://xspiffe://y', 'spiffe://z'),
    ];
    expect(new Set(signed.map((each) => each.toString('hex'))).size).toBe(signed.length);
  });

  it('never reads as a probe message: the tag is no version-2 head', () => {
    expect(refusal(probeAckSigned(NONCE, R, S))).toBe('malformed');
  });
});

describe('indirect probe messages: what the encoder refuses', () => {
  it('refuses a nonce of any length but 16, in every kind', () => {
    for (const length of [0, 1, 4, 15, 17, 32]) {
      for (const message of everyKind(Buffer.alloc(length, 1), R, S, Buffer.from([1]))) {
        expect(() => encodeIndirectProbe(message), `${message.kind} ${length}`).toThrow(RangeError);
      }
    }
  });

  it('refuses an ID that is not a SPIFFE ID of well-formed text within 2,048 bytes, in every ID field', () => {
    // Bytes, not characters: 1,025 two-byte characters are over 2,048 bytes though the string is far below.
    const wide = `spiffe://${'é'.repeat(1_025)}`;
    expect(wide.length).toBeLessThan(MAX_ID_BYTES);
    // A lone surrogate would be written as U+FFFD and read back as another ID.
    const bad = ['', 'node-b', 'SPIFFE://mesh.test/a', ' spiffe://mesh.test/a', '\uFEFFspiffe://mesh.test/a', 'spiffe://a\uD800', 'spiffe://a\uDC00b', idOf(MAX_ID_BYTES + 1), wide];
    for (const id of bad) {
      expect(isProbeSubject(id), JSON.stringify(id.slice(0, 30))).toBe(false);
      for (const message of [...everyKind(NONCE, id, S, Buffer.from([1])).filter((each) => each.kind === 'ping' || each.kind === 'ack'), ...everyKind(NONCE, R, id, Buffer.from([1]))]) {
        expect(() => encodeIndirectProbe(message), `${message.kind} ${JSON.stringify(id.slice(0, 30))}`).toThrow(RangeError);
      }
    }
    for (const id of ['spiffe://', S, idOf(MAX_ID_BYTES), idOf(MAX_ID_BYTES, '🙂')]) expect(isProbeSubject(id)).toBe(true);
  });

  it('refuses an ack with an empty signature, and any signature over the bound', () => {
    expect(() => encodeIndirectProbe({ kind: 'ack', nonce: NONCE, requester: R, subject: S, signature: Buffer.alloc(0) })).toThrow(RangeError);
    expect(() => encodeIndirectProbe({ kind: 'ack', nonce: NONCE, requester: R, subject: S, signature: signatureOf(MAX_SIGNATURE_BYTES + 1) })).toThrow(RangeError);
    expect(() => encodeIndirectProbe({ kind: 'answer', nonce: NONCE, subject: S, signature: signatureOf(MAX_SIGNATURE_BYTES + 1) })).toThrow(RangeError);
    // An answer's empty signature is no proof, written as an answer without one is: the reader sees no signature.
    const empty = encodeIndirectProbe({ kind: 'answer', nonce: NONCE, subject: S, signature: Buffer.alloc(0) });
    expect(empty).toEqual(encodeIndirectProbe({ kind: 'answer', nonce: NONCE, subject: S, signature: undefined }));
    expect(decodeIndirectProbe(empty)).toStrictEqual({ kind: 'answer', nonce: NONCE, subject: S, signature: undefined });
  });
});

describe('indirect probe messages: what the decoder refuses', () => {
  it('refuses a message over the cap as oversized before reading anything of it', () => {
    const largest = encodeIndirectProbe({ kind: 'ack', nonce: NONCE, requester: idOf(MAX_ID_BYTES), subject: idOf(MAX_ID_BYTES), signature: signatureOf(MAX_SIGNATURE_BYTES) });
    expect(refusal(Buffer.concat([largest, Buffer.from([0])]))).toBe('oversized');
    // Wrong version, unknown kind and garbage fields: the size is what is reported.
    expect(refusal(Buffer.alloc(MAX_PROBE_MESSAGE_BYTES + 1, 0xff))).toBe('oversized');
    expect(refusal(Buffer.alloc(MAX_PROBE_MESSAGE_BYTES + 1))).toBe('oversized');
    expect(refusal(Buffer.alloc(1_000_000))).toBe('oversized');
    // One byte less is read, and refused for what it is.
    expect(refusal(Buffer.alloc(MAX_PROBE_MESSAGE_BYTES, 0xff))).toBe('malformed');
  });

  it('refuse a message too short to hold a version, a kind and a nonce, saying so', () => {
    const bytes = encodeIndirectProbe({ kind: 'request', nonce: NONCE, subject: S });
    for (let length = 0; length < HEAD_BYTES; length++) {
      expect(refusal(bytes.subarray(0, length)), `cut at ${length}`).toBe('malformed');
      // Said as too short, not as some later check's failure on bytes it should never have read.
      expect(() => decodeIndirectProbe(bytes.subarray(0, length)), `cut at ${length}`).toThrow(/too short/);
    }
  });

  it('refuse another version, version 1 included, and an unknown kind', () => {
    const request = [field(S)];
    for (const version of [0, 1, 3, 0x7f, 0xff]) expect(refusal(raw(version, 0, NONCE, ...request)), `version ${version}`).toBe('malformed');
    for (const kind of [4, 5, 0x80, 0xff]) expect(refusal(raw(2, kind, NONCE, ...request)), `kind ${kind}`).toBe('malformed');
    // A version-1 answer (a u32 nonce, an alive flag in the kind, the bare subject) is not read as anything.
    expect(refusal(Buffer.concat([Buffer.from([1, 2, 0, 0, 0, 1]), Buffer.from(S)]))).toBe('malformed');
    expect(decodeIndirectProbe(raw(2, 0, NONCE, ...request)).kind).toBe('request');
  });

  it('refuse every message cut short anywhere after its head, and any bytes after its last field', () => {
    for (const message of everyKind(NONCE, R, S, signatureOf(300))) {
      const bytes = encodeIndirectProbe(message);
      for (let length = HEAD_BYTES; length < bytes.length; length++) {
        expect(refusal(bytes.subarray(0, length)), `${message.kind} cut at ${length}`).toBe('malformed');
      }
      for (const tail of [Buffer.from([0]), Buffer.from([0, 0]), field(S), field(Buffer.from([1]))]) {
        expect(refusal(Buffer.concat([bytes, tail])), `${message.kind} + ${tail.toString('hex').slice(0, 12)}`).toBe('malformed');
        expect(() => decodeIndirectProbe(Buffer.concat([bytes, tail]))).toThrow(/after the message/);
      }
    }
  });

  it('refuse a field whose length says more than the message holds, or more than its bound', () => {
    // A length pointing past the end.
    const past = Buffer.alloc(2);
    past.writeUInt16BE(Buffer.byteLength(S) + 1);
    expect(refusal(raw(2, 0, NONCE, past, Buffer.from(S)))).toBe('malformed');
    expect(refusal(raw(2, 0, NONCE, Buffer.from([0xff, 0xff]), Buffer.from(S)))).toBe('malformed');
    // An ID of 2,049 bytes, all of them there: over the SPIFFE bound all the same.
    const long = Buffer.from(`spiffe://${'n'.repeat(MAX_ID_BYTES + 1 - 9)}`);
    expect(long.length).toBe(MAX_ID_BYTES + 1);
    expect(refusal(raw(2, 0, NONCE, field(long)))).toBe('malformed');
    expect(refusal(raw(2, 1, NONCE, field(long), field(S)))).toBe('malformed');
    // A signature of 4,801 bytes, all there, in a message well under the cap.
    expect(refusal(raw(2, 3, NONCE, field(S), field(signatureOf(MAX_SIGNATURE_BYTES + 1))))).toBe('malformed');
    expect(refusal(raw(2, 2, NONCE, field(R), field(S), field(signatureOf(MAX_SIGNATURE_BYTES + 1))))).toBe('malformed');
  });

  it('refuse an ack without a signature, and read an answer without one as no proof', () => {
    expect(refusal(raw(2, 2, NONCE, field(R), field(S), field(Buffer.alloc(0))))).toBe('malformed');
    expect(() => decodeIndirectProbe(raw(2, 2, NONCE, field(R), field(S), field(Buffer.alloc(0))))).toThrow(/without a signature/);
    // An ack missing its signature field altogether is cut short.
    expect(refusal(raw(2, 2, NONCE, field(R), field(S)))).toBe('malformed');
    expect(decodeIndirectProbe(raw(2, 3, NONCE, field(S), field(Buffer.alloc(0))))).toStrictEqual({ kind: 'answer', nonce: NONCE, subject: S, signature: undefined });
  });

  it('refuse an ID that is not UTF-8, in every ID field', () => {
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
      const id = Buffer.concat([prefix, tail, Buffer.from('a')]);
      const label = tail.toString('hex');
      expect(refusal(raw(2, 0, NONCE, field(id))), `request ${label}`).toBe('malformed');
      expect(refusal(raw(2, 1, NONCE, field(id), field(S))), `ping requester ${label}`).toBe('malformed');
      expect(refusal(raw(2, 1, NONCE, field(R), field(id))), `ping subject ${label}`).toBe('malformed');
      expect(refusal(raw(2, 2, NONCE, field(id), field(S), field(Buffer.from([1])))), `ack requester ${label}`).toBe('malformed');
      expect(refusal(raw(2, 2, NONCE, field(R), field(id), field(Buffer.from([1])))), `ack subject ${label}`).toBe('malformed');
      expect(refusal(raw(2, 3, NONCE, field(id), field(Buffer.alloc(0)))), `answer ${label}`).toBe('malformed');
      expect(() => decodeIndirectProbe(raw(2, 0, NONCE, field(id)))).toThrow(/not UTF-8/);
    }
  });

  it('refuse an ID behind a byte-order mark rather than drop the mark: one message, one encoding', () => {
    const marked = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(S)]);
    expect(refusal(raw(2, 0, NONCE, field(marked)))).toBe('malformed');
    expect(refusal(raw(2, 1, NONCE, field(marked), field(S)))).toBe('malformed');
    expect(refusal(raw(2, 2, NONCE, field(R), field(marked), field(Buffer.from([1]))))).toBe('malformed');
    expect(refusal(raw(2, 3, NONCE, field(marked), field(Buffer.alloc(0))))).toBe('malformed');
  });

  it('refuse an ID that is not a SPIFFE ID, in every ID field', () => {
    for (const id of ['', 'x', 'spiffe:/mesh.test/a', 'SPIFFE://mesh.test/a', ' spiffe://mesh.test/a', 'https://mesh.test/a', 'spiffe:', '\u0000spiffe://a']) {
      const label = JSON.stringify(id);
      expect(refusal(raw(2, 0, NONCE, field(id))), `request ${label}`).toBe('malformed');
      expect(refusal(raw(2, 1, NONCE, field(id), field(S))), `ping requester ${label}`).toBe('malformed');
      expect(refusal(raw(2, 1, NONCE, field(R), field(id))), `ping subject ${label}`).toBe('malformed');
      expect(refusal(raw(2, 2, NONCE, field(id), field(S), field(Buffer.from([1])))), `ack requester ${label}`).toBe('malformed');
      expect(refusal(raw(2, 2, NONCE, field(R), field(id), field(Buffer.from([1])))), `ack subject ${label}`).toBe('malformed');
      expect(refusal(raw(2, 3, NONCE, field(id), field(Buffer.alloc(0)))), `answer ${label}`).toBe('malformed');
    }
  });

  it('say why in the message of the error they throw', () => {
    try {
      decodeIndirectProbe(raw(3, 0, NONCE, field(S)));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(IndirectProbeError);
      expect((error as Error).message).toMatch(/refused as malformed: version 3/);
    }
    expect(() => decodeIndirectProbe(raw(2, 9, NONCE, field(S)))).toThrow(/refused as malformed: kind 9/);
    expect(() => decodeIndirectProbe(raw(2, 0, NONCE, field('x')))).toThrow(/not a SPIFFE ID/);
    expect(() => decodeIndirectProbe(Buffer.alloc(MAX_PROBE_MESSAGE_BYTES + 1))).toThrow(/refused as oversized/);
  });
});

describe('indirect probe messages: mutated', () => {
  it('decoded from every one-byte change of a message: the same bytes back, or an IndirectProbeError', () => {
    // Exhaustive over each position and each byte value: 256 × every byte of a short message, of each kind.
    const outcomes = new Map<string, number>();
    for (const message of everyKind(NONCE, 'spiffe://m/r', 'spiffe://m/é', Buffer.from([0x01, 0x80, 0xff]))) {
      const bytes = encodeIndirectProbe(message);
      for (let position = 0; position < bytes.length; position++) {
        for (let value = 0; value < 256; value++) {
          const mutated = Buffer.from(bytes);
          mutated[position] = value;
          const outcome = decodesCanonicallyOrRefuses(mutated, `${message.kind}: byte ${position} = ${value}`);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      }
    }
    // The sweep reached both sides of the contract, not only refusals (every nonce byte is free, so many are accepted).
    expect(outcomes.get('accepted')).toBeGreaterThan(10_000);
    expect(outcomes.get('malformed')).toBeGreaterThan(10_000);
  });

  it('decoded from seeded random mutations (flips, cuts, inserts, splices): the same bytes back, or an IndirectProbeError', () => {
    const random = seeded(0x5eed_0002);
    const int = (below: number) => Math.floor(random() * below);
    const interesting = [0, 1, 2, 3, 0x10, 0x2f, 0x3a, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xff];
    const seeds = [
      encodeIndirectProbe({ kind: 'request', nonce: NONCES[0]!, subject: S }),
      encodeIndirectProbe({ kind: 'ping', nonce: NONCES[1]!, requester: R, subject: 'spiffe://mesh.test/網/🙂' }),
      encodeIndirectProbe({ kind: 'ack', nonce: NONCE, requester: R, subject: S, signature: signatureOf(64) }),
      encodeIndirectProbe({ kind: 'answer', nonce: NONCES[3]!, subject: S, signature: signatureOf(5) }),
      encodeIndirectProbe({ kind: 'answer', nonce: NONCE, subject: 'spiffe://', signature: undefined }),
      // Two bytes under the cap: a few inserted bytes take it over.
      encodeIndirectProbe({ kind: 'ack', nonce: NONCE, requester: idOf(MAX_ID_BYTES, '🙂'), subject: idOf(MAX_ID_BYTES), signature: signatureOf(MAX_SIGNATURE_BYTES - 2) }),
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
          case 1: // an interesting byte in place (a length's high byte, a UTF-8 lead, a version or kind)
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
          default: // splice in a run of the message itself (a repeated field, a doubled head)
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
