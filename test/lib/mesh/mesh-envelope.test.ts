/**
 * The mesh envelope as a forwarder reads it: every kind round-trips, the largest envelope is exactly
 * the cap, and inputs too large or malformed (truncated, trailing bytes, an unknown version or kind,
 * IDs that are no workload's, an opening of the wrong length or on the wrong kind, a reset with a
 * body) are refused with their reason before the body is touched. Through a forwarder, with real
 * sessions: a forwarder may lower the hop limit and the body still opens, but a flipped byte
 * anywhere else, a body moved to another seq, kind, session or pair is refused, by the parse or by
 * the AEAD over envelopeAad.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES as MAX_LINK_PAYLOAD_BYTES } from '../../../actors/peer-link/frame-codec.js';
import { loadPqc, MLDSA65_SIZES, type Pqc } from '../../../lib/crypto/liboqs.js';
import { MAX_SPIFFE_ID_BYTES } from '../../../lib/crypto/node-record.js';
import { WireWriter } from '../../../lib/crypto/wire.js';
import { xwingKeyPair } from '../../../lib/crypto/xwing.js';
import { acceptSession, E2E_TAG_BYTES, EndToEndError, openAck, openData, openSession, OPENING_BYTES, SESSION_ID_BYTES, sealAck, sealData, type SessionKeys } from '../../../lib/mesh/e2e-session.js';
import {
  decodeDataPlaintext,
  decodeEnvelope,
  DEFAULT_HOP_LIMIT,
  encodeDataPlaintext,
  encodeEnvelope,
  envelopeAad,
  MAX_DATA_PLAINTEXT_BYTES,
  MAX_E2E_BODY_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_ENVELOPE_OVERHEAD_BYTES,
  MAX_MESH_PAYLOAD_BYTES,
  MAX_TOPIC_BYTES,
  MeshEnvelopeError,
  withHopLimit,
  type MeshEnvelope,
  type MeshEnvelopeRefusal,
} from '../../../lib/mesh/mesh-envelope.js';

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';
const SID = Buffer.alloc(SESSION_ID_BYTES, 7);

const envelope = (overrides: Partial<MeshEnvelope> = {}): MeshEnvelope => ({
  kind: 'data',
  hopLimit: DEFAULT_HOP_LIMIT,
  origin: A,
  destination: B,
  sessionId: SID,
  seq: 42,
  opening: Buffer.alloc(0),
  body: Buffer.alloc(64, 0xab),
  ...overrides,
});

/** The layout written field by field, with no checks: what a hostile peer can send. */
function raw(fields: { version?: number; kind?: number; origin?: string; destination?: string; sessionId?: Uint8Array; opening?: Uint8Array; body?: Uint8Array; bodyLength?: number } = {}): Buffer {
  const body = fields.body ?? Buffer.alloc(64, 0xab);
  return new WireWriter()
    .u8(fields.version ?? 1)
    .u8(fields.kind ?? 0)
    .u8(DEFAULT_HOP_LIMIT)
    .vector16(Buffer.from(fields.origin ?? A))
    .vector16(Buffer.from(fields.destination ?? B))
    .fixed(fields.sessionId ?? SID)
    .fixed(Buffer.from([0, 0, 0, 0, 0, 42]))
    .vector16(fields.opening ?? Buffer.alloc(0))
    .u32(fields.bodyLength ?? body.length)
    .fixed(body)
    .finish();
}

function refusal(run: () => unknown): MeshEnvelopeRefusal {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MeshEnvelopeError);
    return (error as MeshEnvelopeError).reason;
  }
  throw new Error('the envelope was accepted');
}

const plain = (e: MeshEnvelope) => ({ ...e, sessionId: Buffer.from(e.sessionId), opening: Buffer.from(e.opening), body: Buffer.from(e.body) });

describe('mesh envelopes', () => {
  it('round-trip every kind, data with and without an opening, at the layout the header gives', () => {
    const cases = [
      envelope(),
      envelope({ opening: Buffer.alloc(OPENING_BYTES, 1), hopLimit: 0, seq: 2 ** 48 - 1 }),
      envelope({ kind: 'ack', origin: B, destination: A, body: Buffer.alloc(E2E_TAG_BYTES + 6, 2), hopLimit: 255, seq: 0 }),
      envelope({ kind: 'reset', body: Buffer.alloc(MLDSA65_SIZES.signature, 3) }),
    ];
    for (const e of cases) expect(plain(decodeEnvelope(encodeEnvelope(e)))).toEqual(plain(e));
    expect(encodeEnvelope(envelope())).toEqual(raw());
    expect(encodeEnvelope(envelope()).length).toBe(3 + 2 + A.length + 2 + B.length + SESSION_ID_BYTES + 6 + 2 + 4 + 64);
  });

  it('reach exactly MAX_ENVELOPE_BYTES at their largest (the largest payload + the named overhead), which one link frame carries, and refuse one byte more unread', () => {
    expect(MAX_ENVELOPE_BYTES).toBe(MAX_MESH_PAYLOAD_BYTES + MAX_ENVELOPE_OVERHEAD_BYTES);
    expect(MAX_ENVELOPE_BYTES).toBe(MAX_LINK_PAYLOAD_BYTES);
    expect(MAX_ENVELOPE_OVERHEAD_BYTES).toBe(8834);
    const longest = (name: string) => `spiffe://mesh.test/${name.padEnd(MAX_SPIFFE_ID_BYTES - 'spiffe://mesh.test/'.length, 'x')}`;
    const plaintext = encodeDataPlaintext('t'.repeat(MAX_TOPIC_BYTES), Buffer.alloc(MAX_MESH_PAYLOAD_BYTES));
    expect(plaintext.length).toBe(MAX_DATA_PLAINTEXT_BYTES);
    const largest = envelope({ origin: longest('a'), destination: longest('b'), opening: Buffer.alloc(OPENING_BYTES), body: Buffer.alloc(MAX_E2E_BODY_BYTES) });
    const bytes = encodeEnvelope(largest);
    expect(bytes.length).toBe(MAX_ENVELOPE_BYTES);
    expect(decodeEnvelope(bytes).body.length).toBe(MAX_E2E_BODY_BYTES);
    expect(refusal(() => decodeEnvelope(Buffer.concat([bytes, Buffer.alloc(1)])))).toBe('oversized');
    expect(refusal(() => decodeEnvelope(Buffer.alloc(MAX_ENVELOPE_BYTES + 1)))).toBe('oversized');
    expect(refusal(() => encodeEnvelope(envelope({ body: Buffer.alloc(MAX_E2E_BODY_BYTES + 1) })))).toBe('oversized');
    // A body length beyond the cap is refused before the body is read.
    expect(refusal(() => decodeEnvelope(raw({ bodyLength: 0xffffffff })))).toBe('oversized');
  });

  it('refuse truncated envelopes at every length, trailing bytes, an unknown version or kind', () => {
    const bytes = encodeEnvelope(envelope({ opening: Buffer.alloc(OPENING_BYTES, 3) }));
    for (let length = 0; length < bytes.length; length += length < 200 ? 1 : 61) {
      expect(refusal(() => decodeEnvelope(bytes.subarray(0, length))), `length ${length}`).toBe('malformed');
    }
    expect(refusal(() => decodeEnvelope(Buffer.concat([bytes, Buffer.alloc(1)])))).toBe('malformed');
    expect(refusal(() => decodeEnvelope(raw({ version: 2 })))).toBe('malformed');
    expect(refusal(() => decodeEnvelope(raw({ version: 0 })))).toBe('malformed');
    expect(refusal(() => decodeEnvelope(raw({ kind: 3 })))).toBe('malformed');
    expect(refusal(() => decodeEnvelope(raw({ kind: 0xff })))).toBe('malformed');
  });

  it('refuse IDs that are no workload SPIFFE ID, or one node sending to itself', () => {
    const bad = ['', 'not an id', 'SPIFFE://mesh.test/node/a', 'spiffe://mesh.test', 'spiffe://mesh.test/', 'spiffe://Mesh.test/a', 'spiffe://mesh.test/a/../b', `spiffe://mesh.test/${'x'.repeat(MAX_SPIFFE_ID_BYTES)}`];
    for (const id of bad) {
      expect(refusal(() => decodeEnvelope(raw({ origin: id }))), `origin ${id}`).toBe('malformed');
      expect(refusal(() => decodeEnvelope(raw({ destination: id }))), `destination ${id}`).toBe('malformed');
    }
    expect(refusal(() => decodeEnvelope(raw({ destination: A })))).toBe('malformed');
    expect(refusal(() => encodeEnvelope(envelope({ origin: 'spiffe://mesh.test' })))).toBe('malformed');
    expect(refusal(() => encodeEnvelope(envelope({ destination: A })))).toBe('malformed');
  });

  it("refuse an opening of the wrong length or on a kind that has none, a reset's body, bodies too short to be sealed", () => {
    for (const length of [1, 32, OPENING_BYTES - 1, OPENING_BYTES + 1]) {
      expect(refusal(() => decodeEnvelope(raw({ opening: Buffer.alloc(length) }))), `opening of ${length}`).toBe('malformed');
    }
    expect(refusal(() => decodeEnvelope(raw({ kind: 1, opening: Buffer.alloc(OPENING_BYTES) })))).toBe('malformed');
    expect(refusal(() => decodeEnvelope(raw({ kind: 2, opening: Buffer.alloc(OPENING_BYTES), body: Buffer.alloc(MLDSA65_SIZES.signature) })))).toBe('malformed');
    // A reset's body is its signature, exactly.
    expect(refusal(() => decodeEnvelope(raw({ kind: 2, body: Buffer.alloc(0) })))).toBe('malformed');
    expect(refusal(() => decodeEnvelope(raw({ kind: 2, body: Buffer.alloc(MLDSA65_SIZES.signature - 1) })))).toBe('malformed');
    expect(refusal(() => decodeEnvelope(raw({ kind: 1, body: Buffer.alloc(E2E_TAG_BYTES - 1) })))).toBe('malformed');
    expect(refusal(() => decodeEnvelope(raw({ kind: 0, body: Buffer.alloc(E2E_TAG_BYTES + 2) })))).toBe('malformed');
    expect(refusal(() => decodeEnvelope(raw({ sessionId: Buffer.alloc(SESSION_ID_BYTES - 1) })))).toBe('malformed');
    expect(refusal(() => encodeEnvelope(envelope({ sessionId: Buffer.alloc(SESSION_ID_BYTES + 1) })))).toBe('malformed');
    expect(refusal(() => encodeEnvelope(envelope({ seq: 2 ** 48 })))).toBe('malformed');
    expect(refusal(() => encodeEnvelope(envelope({ hopLimit: 256 })))).toBe('malformed');
  });

  it('cover kind, origin, destination, session id and seq by the associated data, not the hop limit, opening or body', () => {
    const base = envelopeAad(envelope());
    const changed: Array<Partial<MeshEnvelope>> = [{ kind: 'ack' }, { origin: C }, { destination: C }, { sessionId: Buffer.alloc(SESSION_ID_BYTES, 8) }, { seq: 43 }, { seq: 42 + 2 ** 40 }];
    for (const overrides of changed) expect(envelopeAad(envelope(overrides)), JSON.stringify(overrides)).not.toEqual(base);
    expect(envelopeAad(envelope({ hopLimit: 1, opening: Buffer.alloc(OPENING_BYTES), body: Buffer.alloc(99) }))).toEqual(base);
  });

  it('rewrite the hop limit and nothing else, refusing what is no envelope or no u8', () => {
    const bytes = encodeEnvelope(envelope({ opening: Buffer.alloc(OPENING_BYTES, 9) }));
    const lowered = withHopLimit(bytes, DEFAULT_HOP_LIMIT - 1);
    expect(decodeEnvelope(lowered).hopLimit).toBe(DEFAULT_HOP_LIMIT - 1);
    expect(Buffer.compare(lowered.subarray(3), bytes.subarray(3))).toBe(0);
    expect(lowered.subarray(0, 2)).toEqual(bytes.subarray(0, 2));
    expect(bytes[2]).toBe(DEFAULT_HOP_LIMIT);
    for (const hopLimit of [-1, 256, 1.5]) expect(() => withHopLimit(bytes, hopLimit)).toThrow(RangeError);
    expect(refusal(() => withHopLimit(bytes.subarray(0, 20), 3))).toBe('malformed');
    expect(refusal(() => withHopLimit(raw({ version: 2 }), 3))).toBe('malformed');
    expect(refusal(() => withHopLimit(Buffer.alloc(MAX_ENVELOPE_BYTES + 1, 1), 3))).toBe('oversized');
  });

  it('carry topic and payload in a data plaintext, bounded, typed', () => {
    const payload = Buffer.from('{"x":1}');
    expect(decodeDataPlaintext(encodeDataPlaintext('mesh.route', payload))).toEqual({ topic: 'mesh.route', payload });
    expect(decodeDataPlaintext(encodeDataPlaintext('т', Buffer.alloc(0)))).toEqual({ topic: 'т', payload: Buffer.alloc(0) });
    expect(refusal(() => encodeDataPlaintext('', payload))).toBe('malformed');
    expect(refusal(() => encodeDataPlaintext('t'.repeat(MAX_TOPIC_BYTES + 1), payload))).toBe('malformed');
    expect(refusal(() => encodeDataPlaintext('t', Buffer.alloc(MAX_MESH_PAYLOAD_BYTES + 1)))).toBe('oversized');
    expect(refusal(() => decodeDataPlaintext(Buffer.alloc(MAX_DATA_PLAINTEXT_BYTES + 1)))).toBe('oversized');
    expect(refusal(() => decodeDataPlaintext(Buffer.alloc(1)))).toBe('malformed');
    expect(refusal(() => decodeDataPlaintext(Buffer.from([0, 0, 1])))).toBe('malformed');
    expect(refusal(() => decodeDataPlaintext(Buffer.from([0, 5, 0x61])))).toBe('malformed');
    expect(refusal(() => decodeDataPlaintext(Buffer.from([0x01, 0x01, 0x61])))).toBe('malformed');
    expect(refusal(() => decodeDataPlaintext(Buffer.from([0, 2, 0xc3, 0x28])))).toBe('malformed');
  });
});

describe('mesh envelopes through a forwarder, sealed end to end', () => {
  let pqc: Pqc;
  let aKeys: SessionKeys;
  let bKeys: SessionKeys;
  let opening: Uint8Array;
  const payload = Buffer.from('{"route":[1,2,3]}');

  beforeAll(async () => {
    pqc = await loadPqc();
    const aSigning = pqc.mldsa65.keypair();
    const bKem = xwingKeyPair(pqc.kem('ML-KEM-768'));
    const session = openSession({ pqc, origin: A, destination: B, sessionId: SID, destinationKemPublicKey: bKem.publicKey, originSigningSecretKey: aSigning.secretKey });
    aKeys = session.keys;
    opening = session.opening;
    bKeys = acceptSession({ pqc, origin: A, destination: B, sessionId: SID, opening, destinationKemKeyPair: bKem, originSigningPublicKey: aSigning.publicKey });
  });

  /** A's data envelope of `seq`, sealed over its own associated data. */
  function dataEnvelope(seq: number, withOpening: boolean): Buffer {
    const fields = { kind: 'data', origin: A, destination: B, sessionId: SID, seq } as const;
    const body = sealData(aKeys, seq, envelopeAad(fields), encodeDataPlaintext('mesh.route', payload));
    return encodeEnvelope({ ...fields, hopLimit: DEFAULT_HOP_LIMIT, opening: withOpening ? opening : Buffer.alloc(0), body });
  }

  /** What B does with bytes that reach it: decode, then open under the session's keys. */
  function receive(bytes: Uint8Array): { topic: string; payload: Buffer } {
    const e = decodeEnvelope(bytes);
    return decodeDataPlaintext(openData(bKeys, e.seq, envelopeAad(e), e.body));
  }

  function refused(bytes: Uint8Array): string {
    return reasonOf(() => receive(bytes));
  }

  function reasonOf(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      if (error instanceof MeshEnvelopeError || error instanceof EndToEndError) return error.reason;
      throw error;
    }
    return 'accepted';
  }

  it('deliver data after forwarders lowered the hop limit, and acks back', () => {
    let bytes: Buffer = dataEnvelope(7, true);
    for (let hop = DEFAULT_HOP_LIMIT; hop > 1; hop--) bytes = withHopLimit(bytes, decodeEnvelope(bytes).hopLimit - 1);
    expect(decodeEnvelope(bytes).hopLimit).toBe(1);
    expect(receive(bytes)).toEqual({ topic: 'mesh.route', payload });
    const ackFields = { kind: 'ack', origin: B, destination: A, sessionId: SID, seq: 0 } as const;
    const ack = encodeEnvelope({ ...ackFields, hopLimit: DEFAULT_HOP_LIMIT, opening: Buffer.alloc(0), body: sealAck(bKeys, 0, envelopeAad(ackFields), Buffer.from([0, 0, 0, 0, 0, 7])) });
    const back = decodeEnvelope(ack);
    expect(openAck(aKeys, back.seq, envelopeAad(back), back.body)).toEqual(Buffer.from([0, 0, 0, 0, 0, 7]));
  });

  it('refuse a flipped byte anywhere but the hop limit: by the parse (a body length past the cap: oversized) or by the AEAD', () => {
    const bytes = dataEnvelope(8, false);
    for (let position = 0; position < bytes.length; position++) {
      const tampered = Buffer.from(bytes);
      tampered[position]! ^= 0x01;
      if (position === 2) expect(receive(tampered).payload).toEqual(payload);
      else expect(refused(tampered), `byte ${position}`).toMatch(/^(oversized|malformed|authentication)$/);
    }
    // Bytes of the sessionId, the seq and the body parse, so only the AEAD can refuse them.
    const at = 3 + 2 + A.length + 2 + B.length;
    for (const position of [at, at + SESSION_ID_BYTES - 1, at + SESSION_ID_BYTES, at + SESSION_ID_BYTES + 5, bytes.length - 1]) {
      const tampered = Buffer.from(bytes);
      tampered[position]! ^= 0x01;
      expect(refused(tampered), `byte ${position}`).toBe('authentication');
    }
  });

  it('refuse a sealed body moved to another seq, kind, session or pair', () => {
    const e = decodeEnvelope(dataEnvelope(9, false));
    const moved = (overrides: Partial<MeshEnvelope>) => refused(encodeEnvelope({ ...e, ...overrides }));
    expect(moved({ seq: 10 })).toBe('authentication');
    expect(moved({ sessionId: Buffer.alloc(SESSION_ID_BYTES, 8) })).toBe('authentication');
    expect(moved({ origin: C })).toBe('authentication');
    expect(moved({ destination: C })).toBe('authentication');
    // The data body relabelled as an ack, opened as one by A: another key and another associated data.
    const asAck = decodeEnvelope(encodeEnvelope({ ...e, kind: 'ack', origin: B, destination: A }));
    expect(reasonOf(() => openAck(aKeys, asAck.seq, envelopeAad(asAck), asAck.body))).toBe('authentication');
    // Even under the right key, the kind in the associated data differs.
    expect(reasonOf(() => openData(bKeys, e.seq, envelopeAad({ ...e, kind: 'ack' }), e.body))).toBe('authentication');
  });
});
