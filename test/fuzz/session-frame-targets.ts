/**
 * The established session's sealed frames (lib/crypto/session-channel.ts) and its rekey messages
 * (lib/crypto/session-rekey.ts). A sealed frame is authenticated by its AES-GCM tag over header
 * and ciphertext: the receiver (holding the current and the previous epoch's keys, as during a
 * rekey) must open a frame if and only if it is one the sender sealed, and then give back exactly
 * what was sealed. Rekey messages have no tag of their own (the sealed frame carrying them has
 * one); what authenticates them is that both sides derive the next keys from both messages, so
 * the oracle is key agreement: a rekey the two sides complete with the same keys must have used
 * the recorded messages. Every rejection is a FrameError or a HandshakeError.
 */
import { randomBytes } from 'node:crypto';
import { HandshakeError } from '../../lib/crypto/handshake-error.js';
import { deriveInitialKeys, deriveNextKeys, type EpochKeys } from '../../lib/crypto/key-schedule.js';
import { loadPqc } from '../../lib/crypto/liboqs.js';
import { FrameError, INNER, SessionChannel, type InnerType } from '../../lib/crypto/session-channel.js';
import { answerRekey, completeRekey, offerRekey } from '../../lib/crypto/session-rekey.js';
import { bytesNear, hex } from './byte-mutations.js';
import { fuzzTarget, suiteOf, type FuzzSuite } from './fuzz-target.js';
import { authenticIffRecorded, mustBeTyped, mustEqual, sameBytes } from './oracles.js';

export const SESSION_FRAME_TARGETS = ['sealed-frame', 'rekey-offer', 'rekey-accept'] as const;

export interface Opened {
  inner: InnerType;
  payload: Buffer;
  epoch: number;
}

/** Opens one frame for a receiver holding `current` and `previous` epoch keys; throws FrameError when it does not. */
export type FrameOpener = (keys: { current: EpochKeys; previous: EpochKeys }, frame: Uint8Array) => Opened;

/** The session channel's own opener: a fresh receiver per frame (so the replay window never refuses a recorded frame). */
export const channelOpener: FrameOpener = (keys, frame) => {
  const channel = new SessionChannel(keys.previous, 0);
  channel.installEpoch(keys.current, 0);
  return channel.open(frame);
};

export interface SessionFrameTargetOptions {
  open?: FrameOpener;
}

function receiverView(keys: EpochKeys): EpochKeys {
  return { ...keys, send: keys.receive, receive: keys.send };
}

/** Keys two sides agree on iff each one's send key is the other's receive key. */
function agree(initiator: EpochKeys, responder: EpochKeys): boolean {
  return sameBytes(initiator.send, responder.receive) && sameBytes(initiator.receive, responder.send) && sameBytes(initiator.epochSecret, responder.epochSecret);
}

export async function sessionFrameTargets(options: SessionFrameTargetOptions = {}): Promise<FuzzSuite> {
  const open = options.open ?? channelOpener;
  const pqc = await loadPqc();
  const epoch0 = deriveInitialKeys('initiator', randomBytes(32), randomBytes(48));
  const epoch1 = deriveNextKeys('initiator', epoch0, randomBytes(32), [randomBytes(8)]);
  // The sender has sealed under both epochs; the receiver still holds the previous one (a rekey in flight).
  const sender = new SessionChannel(epoch0, 0);
  const sealed: Array<{ frame: Buffer; inner: InnerType; payload: Buffer; epoch: number }> = [];
  const seal = (inner: InnerType, payload: Buffer) => sealed.push({ frame: Buffer.concat(sender.seal(inner, payload)), inner, payload, epoch: sender.epoch });
  seal(INNER.data, Buffer.from('a recorded frame'));
  seal(INNER.rekeyRequest, Buffer.alloc(0));
  sender.installEpoch(epoch1, 0);
  seal(INNER.data, randomBytes(100));
  seal(INNER.rekeyOffer, randomBytes(40));
  const receiverKeys = { current: receiverView(epoch1), previous: receiverView(epoch0) };
  const frames = sealed.map((entry) => entry.frame);

  const sealedTarget = fuzzTarget(
    'sealed-frame',
    bytesNear(frames),
    (bytes) => {
      let opened: Opened | undefined;
      let outcome = 'accepted';
      try {
        opened = open(receiverKeys, bytes);
      } catch (error) {
        outcome = mustBeTyped(error, [FrameError], 'SessionChannel.open');
      }
      const index = authenticIffRecorded(bytes, frames, opened !== undefined, 'a sealed frame');
      if (opened) {
        const { inner, payload, epoch } = sealed[index]!;
        mustEqual(opened, { inner, payload, epoch }, 'what the recorded frame opened to');
      }
      return outcome;
    },
    hex,
  );

  // A rekey between the session's initiator (epoch0) and responder, recorded once.
  const responderKeys = receiverView(epoch0);
  const pending = offerRekey(pqc, epoch0, 'x-wing');
  const answered = answerRekey(pqc, responderKeys, 'x-wing', pending.offer);

  /** Runs a rekey to its end: "agreed" when both sides hold the same next keys, "disagreed" when not, or the refusal. */
  const rekeyOutcome = (run: () => [EpochKeys, EpochKeys], where: string): string => {
    try {
      const [initiatorNext, responderNext] = run();
      return agree(initiatorNext, responderNext) ? 'agreed' : 'disagreed (the session fails on its next frame)';
    } catch (error) {
      return mustBeTyped(error, [HandshakeError], where);
    }
  };

  const offerTarget = fuzzTarget(
    'rekey-offer',
    bytesNear([pending.offer]),
    (bytes) => {
      const outcome = rekeyOutcome(() => {
        const answer = answerRekey(pqc, responderKeys, 'x-wing', bytes);
        return [completeRekey(pending, epoch0, answer.accept), answer.next];
      }, 'answerRekey / completeRekey');
      authenticIffRecorded(bytes, [pending.offer], outcome === 'agreed', 'a rekey offer (by the keys both sides derive)');
      return outcome;
    },
    hex,
  );

  const acceptTarget = fuzzTarget(
    'rekey-accept',
    bytesNear([answered.accept]),
    (bytes) => {
      const outcome = rekeyOutcome(() => [completeRekey(pending, epoch0, bytes), answered.next], 'completeRekey');
      authenticIffRecorded(bytes, [answered.accept], outcome === 'agreed', 'a rekey accept (by the keys both sides derive)');
      return outcome;
    },
    hex,
  );

  return suiteOf([sealedTarget, offerTarget, acceptTarget]);
}
