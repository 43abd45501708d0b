/**
 * The post-quantum handshake's messages (lib/crypto/pq-handshake.ts), each fed to the side that
 * receives it with that side's state as it stands when the message arrives, and the node record
 * (lib/crypto/node-record.ts). Accept and Finish carry signatures over the transcript, the node
 * record is signed with the SVID key, and the initiator's Hello is covered by the responder's
 * transcript signature: so the oracle is authenticity. A message is taken as authentic if and
 * only if it is the one the genuine peer sent; for the Hello, "taken" means the handshake it
 * starts completes at the initiator. Every rejection is a HandshakeError, and every message that
 * parses re-encodes to the same bytes within its stated field limits.
 */
import { HandshakeError } from '../../lib/crypto/handshake-error.js';
import {
  appendSignatures,
  encodeAcceptCore,
  encodeFinishCore,
  encodeHello,
  MAX_HANDSHAKE_MESSAGE_BYTES,
  MAX_KEY_SHARE_BYTES,
  MAX_OFFERED,
  parseAccept,
  parseFinish,
  parseHello,
  type Hello,
} from '../../lib/crypto/handshake-messages.js';
import type { Pqc } from '../../lib/crypto/liboqs.js';
import { verifyNodeRecord } from '../../lib/crypto/node-record.js';
import {
  completeResponder,
  finishInitiator,
  respond,
  startInitiator,
  type HandshakeContext,
  type InitiatorState,
  type ResponderState,
} from '../../lib/crypto/pq-handshake.js';
import { SUITE_SIZES, suiteName } from '../../lib/crypto/pq-suites.js';
import { Transcript } from '../../lib/crypto/transcript.js';
import { pair, peerView } from '../helpers/pq-identities.js';
import { bytesNear, hex } from './byte-mutations.js';
import { fuzzTarget, suiteOf, type FuzzSuite } from './fuzz-target.js';
import { authenticIffRecorded, mustBeTyped, mustHold, sameBytes } from './oracles.js';

export const HANDSHAKE_TARGETS = ['hello', 'accept', 'finish', 'node-record'] as const;

export interface HandshakeTargetOptions {
  /** The liboqs instances both sides use; a test plants one whose ML-DSA verify accepts anything. */
  pqc?: (real: Pqc) => Pqc;
}

/** Runs a receiving step: "accepted" on a value, the refusal's label on a HandshakeError; anything else is a finding. */
function outcomeOf(run: () => unknown, where: string): string {
  try {
    run();
    return 'accepted';
  } catch (error) {
    return mustBeTyped(error, [HandshakeError], where);
  }
}

/** Parses with `parse`; an accepted message must lie within the size limit and re-encode to itself (every field has one encoding). */
function parsesCanonically<T>(bytes: Uint8Array, parse: (bytes: Uint8Array) => T, encode: (message: T) => Uint8Array, where: string): T | undefined {
  let message: T;
  try {
    message = parse(bytes);
  } catch (error) {
    mustBeTyped(error, [HandshakeError], where);
    return undefined;
  }
  mustHold(bytes.length <= MAX_HANDSHAKE_MESSAGE_BYTES, `${where} accepted ${bytes.length} bytes, above ${MAX_HANDSHAKE_MESSAGE_BYTES}`);
  mustHold(sameBytes(encode(message), bytes), `${where} accepted bytes that do not re-encode to themselves`);
  return message;
}

/** The authenticity verdict on one case, and its outcome label. */
function authentic(bytes: Uint8Array, recorded: Uint8Array, outcome: string, what: string): string {
  authenticIffRecorded(bytes, [recorded], outcome === 'accepted', what);
  return outcome;
}

export async function handshakeTargets(options: HandshakeTargetOptions = {}): Promise<FuzzSuite> {
  const p = await pair();
  const pqc = options.pqc ? options.pqc(p.pqc) : p.pqc;
  // One instant for the whole run: the recorded node records stay valid however long it lasts.
  const now = Date.now();
  const initiator: HandshakeContext = { ...p.initiator(), pqc, now: () => now };
  const responder: HandshakeContext = { ...p.responder(), pqc, now: () => now };
  const { hello, state } = startInitiator(initiator);
  const answered = respond(responder, hello);
  const finished = finishInitiator(initiator, { ...state, transcript: new Transcript(p.exporter).add(hello) }, answered.accept);
  // Each case meets the receiving side as it stands when that message arrives: a fresh transcript.
  const initiatorState = (): InitiatorState => ({ ...state, transcript: new Transcript(p.exporter).add(hello) });
  const responderState = (): ResponderState => ({ ...answered.state, transcript: new Transcript(p.exporter).add(hello).add(answered.accept) });
  const peerOfB = peerView(p.b);

  const checkHello = (offer: Hello): void => {
    mustHold(offer.suites.length >= 1 && offer.suites.length <= MAX_OFFERED && new Set(offer.suites).size === offer.suites.length, `hello offers suites ${offer.suites.join(',')}`);
    mustHold(offer.signatures.length >= 1 && offer.signatures.length <= MAX_OFFERED && new Set(offer.signatures).size === offer.signatures.length, `hello offers signatures ${offer.signatures.join(',')}`);
    offer.suites.forEach((id, index) => {
      const name = suiteName(id);
      const length = offer.keyShares[index]!.length;
      mustHold(name ? length === SUITE_SIZES[name].publicKey : length >= 1 && length <= MAX_KEY_SHARE_BYTES, `a key share of ${length} bytes for suite ${id}`);
    });
  };

  const helloTarget = fuzzTarget(
    'hello',
    bytesNear([hello]),
    (bytes) => {
      const parsed = parsesCanonically(bytes, parseHello, encodeHello, 'parseHello');
      if (parsed) checkHello(parsed);
      // The responder answers any well-formed Hello; the initiator must then refuse unless it was its own.
      let accept: Uint8Array | undefined;
      const answered = parsed ? outcomeOf(() => (accept = respond(responder, bytes).accept), 'respond') : 'refused: malformed';
      const outcome = accept === undefined ? answered : outcomeOf(() => finishInitiator(initiator, initiatorState(), accept!), 'finishInitiator');
      return authentic(bytes, hello, outcome, 'a Hello (through the handshake it starts)');
    },
    hex,
  );

  const acceptTarget = fuzzTarget(
    'accept',
    bytesNear([answered.accept]),
    (bytes) => {
      parsesCanonically(bytes, parseAccept, (m) => appendSignatures(encodeAcceptCore(m), m.mldsaSignature, m.svidSignature), 'parseAccept');
      return authentic(bytes, answered.accept, outcomeOf(() => finishInitiator(initiator, initiatorState(), bytes), 'finishInitiator'), 'an Accept');
    },
    hex,
  );

  const finishTarget = fuzzTarget(
    'finish',
    bytesNear([finished.finish]),
    (bytes) => {
      parsesCanonically(bytes, parseFinish, (m) => appendSignatures(encodeFinishCore(m.record), m.mldsaSignature, m.svidSignature), 'parseFinish');
      return authentic(bytes, finished.finish, outcomeOf(() => completeResponder(responder, responderState(), bytes), 'completeResponder'), 'a Finish');
    },
    hex,
  );

  const recordTarget = fuzzTarget(
    'node-record',
    bytesNear([p.b.local.record]),
    (bytes) => authentic(bytes, p.b.local.record, outcomeOf(() => verifyNodeRecord(bytes, peerOfB, now), 'verifyNodeRecord'), 'a node record'),
    hex,
  );

  return suiteOf([helloTarget, acceptTarget, finishTarget, recordTarget]);
}
