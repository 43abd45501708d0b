/**
 * Sealed frames: a round trip; replayed, too old, truncated, oversized, tampered and unknown-epoch
 * frames refused with their reason; reordering within the window accepted once; the per-key cap;
 * and an epoch change that keeps frames in flight readable exactly once.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveInitialKeys, deriveNextKeys } from '../../../lib/crypto/key-schedule.js';
import { REPLAY_WINDOW } from '../../../lib/crypto/replay-window.js';
import { FRAME_HEADER_BYTES, FrameError, INNER, MAX_FRAME_BYTES, MAX_FRAME_PLAINTEXT, SessionChannel, type InnerType } from '../../../lib/crypto/session-channel.js';

function channels(options = {}) {
  const secret = randomBytes(32);
  const transcript = randomBytes(48);
  const a = new SessionChannel(deriveInitialKeys('initiator', secret, transcript), 0, options);
  const b = new SessionChannel(deriveInitialKeys('responder', secret, transcript), 0, options);
  return { a, b };
}

function reason(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(FrameError);
    return (error as FrameError).reason;
  }
  return 'accepted';
}

const text = (n: number) => Buffer.from(`message ${n}`);

/** A sealed frame as the wire carries it: header ‖ ciphertext ‖ tag. */
const sealed = (channel: SessionChannel, inner: InnerType, payload: Uint8Array) => Buffer.concat(channel.seal(inner, payload));

/** A frame sealed from the layout alone, with node:crypto: what the channel's frames must be byte for byte. */
function sealedByHand(key: Buffer, epoch: number, counter: bigint, inner: InnerType, payload: Buffer): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt8(1, 0);
  header.writeUInt8(0x10, 1);
  header.writeUInt32BE(epoch, 2);
  header.writeBigUInt64BE(counter, 6);
  header.writeUInt8(inner, 14);
  header.writeUInt32BE(payload.length + 16, 15);
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(counter, 4);
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(header);
  return Buffer.concat([header, cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
}

describe('sealed frames', () => {
  it('are version | type | epoch | counter | inner type | length, then AES-256-GCM of the payload under the counter nonce with that header as associated data', () => {
    const keys = { epoch: 7, send: Buffer.alloc(32, 0xa5), receive: Buffer.alloc(32, 0x5a), epochSecret: Buffer.alloc(32, 1) };
    const channel = new SessionChannel(keys, 0);
    for (const [counter, payload] of [[0n, Buffer.from('first')], [1n, randomBytes(64 * 1024)], [2n, Buffer.alloc(0)]] as const) {
      expect(sealed(channel, INNER.rekeyOffer, payload).equals(sealedByHand(keys.send, 7, counter, INNER.rekeyOffer, payload))).toBe(true);
    }
  });

  it('opens a frame from the parts seal() made as from its bytes, and refuses parts of the wrong size or tampered', () => {
    const { a, b } = channels();
    const parts = a.seal(INNER.data, text(1));
    expect(b.open(parts).payload.toString()).toBe('message 1');
    expect(reason(() => b.open(parts))).toBe('replayed');
    const next = a.seal(INNER.data, text(2));
    expect(reason(() => b.open([next[0].subarray(1), next[1], next[2]]))).toBe('malformed');
    expect(reason(() => b.open([next[0], next[1], Buffer.concat([next[2], Buffer.alloc(1)])]))).toBe('malformed');
    expect(reason(() => b.open([next[0], next[1].subarray(1), next[2]]))).toBe('malformed');
    const flipped = Buffer.from(next[1]);
    flipped[0]! ^= 1;
    expect(reason(() => b.open([next[0], flipped, next[2]]))).toBe('authentication');
    expect(b.open(next).payload.toString()).toBe('message 2');
  });

  it('round-trips both ways with distinct keys', () => {
    const { a, b } = channels();
    expect(b.open(sealed(a, INNER.data, text(1))).payload.toString()).toBe('message 1');
    expect(a.open(sealed(b, INNER.data, text(2))).payload.toString()).toBe('message 2');
    // A frame is not readable by its own sender (other direction's key).
    expect(reason(() => a.open(sealed(a, INNER.data, text(3))))).toBe('authentication');
  });

  it('refuses a replayed frame, accepts reordering within the window once, and refuses frames older than the window', () => {
    const { a, b } = channels();
    const frames = Array.from({ length: REPLAY_WINDOW + 10 }, (_, n) => sealed(a, INNER.data, text(n)));
    expect(b.open(frames[5]!).payload.toString()).toBe('message 5');
    expect(reason(() => b.open(frames[5]!))).toBe('replayed');
    expect(b.open(frames[2]!).payload.toString()).toBe('message 2');
    expect(reason(() => b.open(frames[2]!))).toBe('replayed');
    expect(b.open(frames[REPLAY_WINDOW + 9]!).payload.toString()).toBe(`message ${REPLAY_WINDOW + 9}`);
    expect(reason(() => b.open(frames[3]!))).toBe('too-old');
    expect(b.open(frames[REPLAY_WINDOW + 8]!).payload.toString()).toBe(`message ${REPLAY_WINDOW + 8}`);
  });

  it('refuses truncated, oversized, tampered and foreign frames without marking their counters', () => {
    const { a, b } = channels();
    const frame = sealed(a, INNER.data, text(1));
    expect(reason(() => b.open(frame.subarray(0, FRAME_HEADER_BYTES + 5)))).toBe('malformed');
    expect(reason(() => b.open(frame.subarray(0, frame.length - 1)))).toBe('malformed');
    expect(reason(() => b.open(Buffer.alloc(MAX_FRAME_BYTES + 1)))).toBe('too-large');
    expect(reason(() => sealed(a, INNER.data, Buffer.alloc(MAX_FRAME_PLAINTEXT + 1)))).toBe('too-large');
    // An unknown inner type (header byte 14) is refused before any decryption.
    const strange = Buffer.from(frame);
    strange[14] = 9;
    expect(reason(() => b.open(strange))).toBe('malformed');
    for (const index of [0, 1, 5, 10, FRAME_HEADER_BYTES + 2, frame.length - 1]) {
      const tampered = Buffer.from(frame);
      tampered[index]! ^= 0x80;
      expect(['malformed', 'unknown-epoch', 'authentication', 'key-exhausted']).toContain(reason(() => b.open(tampered)));
    }
    // A frame of another session (same epoch and counter, other keys) does not authenticate.
    const other = channels();
    expect(reason(() => b.open(sealed(other.a, INNER.data, text(1))))).toBe('authentication');
    // The genuine frame still opens: failed attempts did not burn its counter.
    expect(b.open(frame).payload.toString()).toBe('message 1');
  });

  it('stops sealing at the per-key cap and refuses counters beyond it', () => {
    const { a, b } = channels({ maxFramesPerKey: 3 });
    for (let n = 0; n < 3; n++) b.open(sealed(a, INNER.data, text(n)));
    expect(reason(() => sealed(a, INNER.data, text(3)))).toBe('key-exhausted');
    const big = channels({ maxFramesPerKey: 10 });
    const frame = sealed(big.a, INNER.data, text(0));
    frame.writeBigUInt64BE(50n, 6);
    expect(reason(() => channels({ maxFramesPerKey: 10 }).b.open(frame))).toBe('key-exhausted');
  });

  it('reads the counter as the u64 it is on the wire: above 2^32 it opens, above 2^53 it is refused at the cap, named exactly', () => {
    const keys = { epoch: 3, send: Buffer.alloc(32, 0x11), receive: Buffer.alloc(32, 0x22), epochSecret: Buffer.alloc(32, 3) };
    const receiver = new SessionChannel({ ...keys, send: keys.receive, receive: keys.send }, 0, { maxFramesPerKey: Number.MAX_SAFE_INTEGER });
    const frameAt = (counter: bigint, payload: Buffer) => sealedByHand(keys.send, 3, counter, INNER.data, payload);
    expect(receiver.open(frameAt(2n ** 32n + 5n, text(1))).payload.toString()).toBe('message 1');
    expect(reason(() => receiver.open(frameAt(2n ** 32n + 5n, text(1))))).toBe('replayed');
    let refusal: unknown;
    try {
      receiver.open(frameAt(2n ** 53n + 1n, text(2)));
    } catch (error) {
      refusal = error;
    }
    expect((refusal as FrameError).reason).toBe('key-exhausted');
    expect((refusal as FrameError).message).toContain('counter 9007199254740993 ');
  });

  it('refuses a per-key cap that is not a positive safe integer', () => {
    for (const maxFramesPerKey of [0, -1, 1.5, 2 ** 60]) expect(() => channels({ maxFramesPerKey })).toThrow(RangeError);
  });

  it('moves to a new epoch with frames of the old one still in flight read once, then retires the old key', () => {
    const { a, b } = channels();
    const secret = randomBytes(32);
    const inFlight = sealed(a, INNER.data, text(1));
    const nextA = deriveNextKeys('initiator', a.keys, secret, [Buffer.from('offer'), Buffer.from('accept')]);
    const nextB = deriveNextKeys('responder', b.keys, secret, [Buffer.from('offer'), Buffer.from('accept')]);
    b.installEpoch(nextB, 1);
    expect(b.open(inFlight).epoch).toBe(0);
    expect(reason(() => b.open(inFlight))).toBe('replayed');
    a.installEpoch(nextA, 1);
    const fresh = sealed(a, INNER.data, text(2));
    expect(b.open(fresh).epoch).toBe(1);
    // After the peer's first frame of the new epoch, the old key is gone.
    expect(reason(() => b.open(inFlight))).toBe('unknown-epoch');
    expect(reason(() => b.open(Buffer.concat([Buffer.from([9]), fresh.subarray(1)])))).toBe('malformed');
  });
});
