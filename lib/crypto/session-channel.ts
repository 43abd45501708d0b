/**
 * The established session's frames: AES-256-GCM (node:crypto) under the epoch's key for the
 * direction, with a 64-bit counter as nonce (4 zero bytes ‖ counter: unique per key, never
 * random), the header as associated data, a replay window per key, and a hard cap of frames per
 * key. Keys change by epoch (rekey: a fresh hybrid exchange, session-rekey.ts); the previous
 * epoch's receive key is kept until the peer's first frame under the new one, so frames in flight
 * across a rekey are neither lost nor accepted twice.
 *
 *   version u8 (1) | type u8 (0x10) | epoch u32 | counter u64 | inner type u8 | length u32
 *   | ciphertext ‖ tag
 * The inner type (data, or a rekey message) is authenticated with the header, not encrypted: a
 * frame's size tells it anyway, and keeping it out of the ciphertext saves a cipher call and a
 * copy of every payload.
 *
 * A sealed frame leaves seal() as the three buffers it is made of (header, ciphertext, tag), to
 * be written to the socket together: node:crypto gives update() a buffer of its own, so joining
 * them here would copy every payload once more (about a sixth of a 64 KiB seal + open).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { EpochKeys } from './key-schedule.js';
import { ReplayWindow } from './replay-window.js';

export const FRAME_VERSION = 1;
export const FRAME_TYPE_SEALED = 0x10;
export const FRAME_HEADER_BYTES = 19;
export const TAG_BYTES = 16;
/** A link record: a 1 MiB payload and its framing. */
export const MAX_FRAME_PLAINTEXT = 1024 * 1024 + 2048;
export const MAX_FRAME_BYTES = FRAME_HEADER_BYTES + MAX_FRAME_PLAINTEXT + TAG_BYTES;

export const INNER = { data: 0, rekeyOffer: 1, rekeyAccept: 2, rekeyRequest: 3 } as const;
export type InnerType = (typeof INNER)[keyof typeof INNER];

/** Defaults: rekey every 2^20 frames or 2 minutes (Rosenpass's interval), whichever first; never more than 2^24 frames under one key. */
export const DEFAULT_REKEY_AFTER_FRAMES = 2 ** 20;
export const DEFAULT_REKEY_AFTER_MS = 120_000;
export const DEFAULT_MAX_FRAMES_PER_KEY = 2 ** 24;

export type FrameRejection = 'malformed' | 'too-large' | 'unknown-epoch' | 'replayed' | 'too-old' | 'authentication' | 'key-exhausted';

/** A sealed frame in the buffers it was made in; the wire carries header ‖ ciphertext ‖ tag. */
export type SealedFrame = readonly [header: Buffer, ciphertext: Buffer, tag: Buffer];

/** A frame's header, ciphertext and tag, from its bytes or its parts, with every length checked before anything is read. */
function frameParts(frame: Uint8Array | SealedFrame): [header: Buffer, ciphertext: Buffer, tag: Buffer] {
  if (frame instanceof Uint8Array) {
    if (frame.length < FRAME_HEADER_BYTES + TAG_BYTES) throw new FrameError('malformed', `${frame.length} bytes are shorter than any frame`);
    if (frame.length > MAX_FRAME_BYTES) throw new FrameError('too-large', `${frame.length} bytes exceed ${MAX_FRAME_BYTES}`);
    const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    return [bytes.subarray(0, FRAME_HEADER_BYTES), bytes.subarray(FRAME_HEADER_BYTES, bytes.length - TAG_BYTES), bytes.subarray(bytes.length - TAG_BYTES)];
  }
  const [header, ciphertext, tag] = frame;
  if (header.length !== FRAME_HEADER_BYTES || tag.length !== TAG_BYTES) throw new FrameError('malformed', `a ${header.length}-byte header and a ${tag.length}-byte tag (a frame has ${FRAME_HEADER_BYTES} and ${TAG_BYTES})`);
  if (header.length + ciphertext.length + tag.length > MAX_FRAME_BYTES) throw new FrameError('too-large', `${header.length + ciphertext.length + tag.length} bytes exceed ${MAX_FRAME_BYTES}`);
  return [header, ciphertext, tag];
}

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly reason: FrameRejection,
    message: string,
  ) {
    super(`${reason}: ${message}`);
  }
}

interface ReceiveState {
  epoch: number;
  key: Buffer;
  window: ReplayWindow;
  frames: number;
}

export interface ChannelOptions {
  maxFramesPerKey?: number;
}

/** Byte offsets of the header's fields (see the layout above). */
const AT_VERSION = 0;
const AT_TYPE = 1;
const AT_EPOCH = 2;
const AT_COUNTER = 6;
const AT_INNER = 14;
const AT_LENGTH = 15;
/** The nonce: 4 zero bytes, then the frame's counter. */
const NONCE_BYTES = 12;
const NONCE_COUNTER_AT = 4;

/**
 * Writes the nonce of `counter` into `nonce` (12 bytes, the first 4 zero) and returns it. One
 * buffer per channel and direction serves every frame: the cipher copies the nonce when it is
 * created, so reusing the buffer cannot make two frames share a nonce; the counter does that.
 */
function nonceInto(nonce: Buffer, counter: number): Buffer {
  writeCounter(nonce, NONCE_COUNTER_AT, counter);
  return nonce;
}

/**
 * Counters are numbers, not bigints (a bigint operation costs about as much as a 64 KiB frame's
 * header work all together): a key seals at most maxFramesPerKey frames, a safe integer, so every
 * counter this side seals or accepts is one. Written as the wire's u64, big-endian.
 */
function writeCounter(into: Buffer, at: number, counter: number): void {
  into.writeUInt32BE(Math.floor(counter / 2 ** 32), at);
  into.writeUInt32BE(counter % 2 ** 32, at + 4);
}

/** The wire's u64 counter; above 2^53 the number is inexact, but still above any cap, which is all it is compared with. */
function readCounter(from: Buffer, at: number): number {
  return from.readUInt32BE(at) * 2 ** 32 + from.readUInt32BE(at + 4);
}

export class SessionChannel {
  private sendKeys: EpochKeys;
  private sendCounter = 0;
  private receiveCurrent: ReceiveState;
  private receivePrevious: ReceiveState | undefined;
  private readonly maxFrames: number;
  private readonly sealNonce = Buffer.alloc(NONCE_BYTES);
  private readonly openNonce = Buffer.alloc(NONCE_BYTES);
  /** When the current epoch began (ms), for time-based rekeying. */
  epochStartedAt: number;

  constructor(
    keys: EpochKeys,
    now: number,
    options: ChannelOptions = {},
  ) {
    this.sendKeys = keys;
    this.receiveCurrent = { epoch: keys.epoch, key: keys.receive, window: new ReplayWindow(), frames: 0 };
    this.maxFrames = options.maxFramesPerKey ?? DEFAULT_MAX_FRAMES_PER_KEY;
    if (!Number.isSafeInteger(this.maxFrames) || this.maxFrames < 1) throw new RangeError(`maxFramesPerKey must be a positive safe integer, not ${this.maxFrames}`);
    this.epochStartedAt = now;
  }

  get epoch(): number {
    return this.sendKeys.epoch;
  }

  get keys(): EpochKeys {
    return this.sendKeys;
  }

  /** Frames sealed under the current send key. */
  get framesSent(): number {
    return this.sendCounter;
  }

  seal(inner: InnerType, payload: Uint8Array): SealedFrame {
    if (payload.length > MAX_FRAME_PLAINTEXT) throw new FrameError('too-large', `a payload of ${payload.length} bytes exceeds ${MAX_FRAME_PLAINTEXT}`);
    if (this.sendCounter >= this.maxFrames) throw new FrameError('key-exhausted', `epoch ${this.sendKeys.epoch} sealed its ${this.maxFrames} frames; a rekey must come first`);
    const counter = this.sendCounter++;
    const ciphertextBytes = payload.length;
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    header.writeUInt8(FRAME_VERSION, AT_VERSION);
    header.writeUInt8(FRAME_TYPE_SEALED, AT_TYPE);
    header.writeUInt32BE(this.sendKeys.epoch, AT_EPOCH);
    writeCounter(header, AT_COUNTER, counter);
    header.writeUInt8(inner, AT_INNER);
    header.writeUInt32BE(ciphertextBytes + TAG_BYTES, AT_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', this.sendKeys.send, nonceInto(this.sealNonce, counter));
    cipher.setAAD(header);
    const ciphertext = cipher.update(payload);
    // GCM is a stream mode: update() gives every byte and final() none; it completes the tag.
    const final = cipher.final();
    // The header's length field was written from the payload's: a cipher that gave other lengths would make it lie.
    if (ciphertext.length !== ciphertextBytes || final.length !== 0) throw new RangeError(`AES-256-GCM gave ${ciphertext.length} + ${final.length} bytes for ${ciphertextBytes}`);
    return [header, ciphertext, cipher.getAuthTag()];
  }

  /**
   * Opens a frame: the bytes a link read (header ‖ ciphertext ‖ tag), or a sealed frame's parts as
   * seal() gave them, for a carrier that keeps them apart (in memory: a simulated network, the
   * benchmarks) and need not join them first.
   */
  open(frame: Uint8Array | SealedFrame): { inner: InnerType; payload: Buffer; epoch: number } {
    const [header, ciphertext, tag] = frameParts(frame);
    if (header[AT_VERSION] !== FRAME_VERSION || header[AT_TYPE] !== FRAME_TYPE_SEALED) throw new FrameError('malformed', `version ${header[AT_VERSION]} type ${header[AT_TYPE]} is not a sealed frame of version ${FRAME_VERSION}`);
    const epoch = header.readUInt32BE(AT_EPOCH);
    const counter = readCounter(header, AT_COUNTER);
    const inner = header.readUInt8(AT_INNER);
    if (inner > INNER.rekeyRequest) throw new FrameError('malformed', `inner type ${inner} is unknown`);
    const length = header.readUInt32BE(AT_LENGTH);
    if (length !== ciphertext.length + TAG_BYTES) throw new FrameError('malformed', `the header says ${length} bytes follow, ${ciphertext.length + TAG_BYTES} do`);
    const state = epoch === this.receiveCurrent.epoch ? this.receiveCurrent : epoch === this.receivePrevious?.epoch ? this.receivePrevious : undefined;
    if (!state) throw new FrameError('unknown-epoch', `epoch ${epoch} (this side receives ${this.receiveCurrent.epoch}${this.receivePrevious ? ` and ${this.receivePrevious.epoch}` : ''})`);
    if (counter >= this.maxFrames) throw new FrameError('key-exhausted', `counter ${header.readBigUInt64BE(AT_COUNTER)} is beyond the ${this.maxFrames} frames one key may seal`);
    const freshness = state.window.check(counter);
    if (freshness !== 'new') throw new FrameError(freshness, `frame ${counter} of epoch ${epoch}`);
    const decipher = createDecipheriv('aes-256-gcm', state.key, nonceInto(this.openNonce, counter));
    decipher.setAAD(header);
    decipher.setAuthTag(tag);
    let plaintext: Buffer;
    try {
      plaintext = decipher.update(ciphertext);
      // GCM's final() yields no bytes; it only checks the tag (and throws on a forgery).
      const final = decipher.final();
      if (final.length > 0) plaintext = Buffer.concat([plaintext, final]);
    } catch {
      throw new FrameError('authentication', `frame ${counter} of epoch ${epoch} does not authenticate`);
    }
    state.window.mark(counter);
    state.frames++;
    // The peer's first frame under the current epoch: it has switched, and the old key can go.
    if (state === this.receiveCurrent && this.receivePrevious) this.receivePrevious = undefined;
    return { inner: inner as InnerType, payload: plaintext, epoch };
  }

  /** Switches sending to the next epoch's key at once; receiving accepts both epochs until the peer's first new frame. */
  installEpoch(keys: EpochKeys, now: number): void {
    this.sendKeys = keys;
    this.sendCounter = 0;
    this.receivePrevious = this.receiveCurrent;
    this.receiveCurrent = { epoch: keys.epoch, key: keys.receive, window: new ReplayWindow(), frames: 0 };
    this.epochStartedAt = now;
  }
}
