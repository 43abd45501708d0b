/**
 * Fuzz targets of the post-quantum session's parsers, as fast-check properties: whatever the
 * bytes (random, or a recorded valid message flipped, cut or extended), a parser either accepts
 * or throws its typed error (HandshakeError, FrameError), never anything else. Shared by the test
 * suite (a few thousand cases per target) and `npm run fuzz -- pqc` (a million and more).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { HandshakeError } from '../../lib/crypto/handshake-error.js';
import { parseAccept, parseFinish, parseHello } from '../../lib/crypto/handshake-messages.js';
import { deriveInitialKeys } from '../../lib/crypto/key-schedule.js';
import { verifyNodeRecord } from '../../lib/crypto/node-record.js';
import { completeResponder, finishInitiator, respond, startInitiator } from '../../lib/crypto/pq-handshake.js';
import { FrameError, INNER, SessionChannel } from '../../lib/crypto/session-channel.js';
import { answerRekey, completeRekey, offerRekey } from '../../lib/crypto/session-rekey.js';
import { pair, peerView } from '../helpers/pq-identities.js';

export interface FuzzTarget {
  name: string;
  property: fc.IPropertyWithHooks<[Uint8Array]> | fc.IProperty<[Uint8Array]>;
}

function onlyTyped<E extends Error>(type: new (...args: never[]) => E, run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof type)) throw error;
  }
}

/** Random bytes, and a recorded message flipped at random places, cut short or extended. */
function around(recorded: Uint8Array): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .tuple(fc.array(fc.tuple(fc.nat({ max: recorded.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat({ max: recorded.length }), fc.uint8Array({ maxLength: 8 }), fc.boolean())
    .map(([flips, cut, extra, truncate]) => {
      const copy = Uint8Array.from(recorded);
      for (const [index, mask] of flips) copy[index]! ^= mask;
      return truncate ? copy.subarray(0, cut) : Buffer.concat([copy, extra]);
    });
  return fc.oneof(fc.uint8Array({ maxLength: 512 }), mutated);
}

export async function pqcTargets(): Promise<FuzzTarget[]> {
  const p = await pair();
  const initiator = p.initiator();
  const responder = p.responder();
  const { hello, state } = startInitiator(initiator);
  const answered = respond(responder, hello);
  const finished = finishInitiator(initiator, state, answered.accept);
  completeResponder(responder, answered.state, finished.finish);
  const keys = deriveInitialKeys('initiator', randomBytes(32), randomBytes(48));
  const sender = new SessionChannel(keys, 0);
  const frame = sender.seal(INNER.data, Buffer.from('a recorded frame'));
  const receiverKeys = { ...keys, send: keys.receive, receive: keys.send };
  const pending = offerRekey(p.pqc, keys, 'x-wing');
  const { accept: rekeyAccept } = answerRekey(p.pqc, receiverKeys, 'x-wing', pending.offer);
  const peerOfB = peerView(p.b);
  return [
    { name: 'hello', property: fc.property(around(hello), (bytes) => onlyTyped(HandshakeError, () => parseHello(bytes))) },
    { name: 'accept', property: fc.property(around(answered.accept), (bytes) => onlyTyped(HandshakeError, () => parseAccept(bytes))) },
    { name: 'finish', property: fc.property(around(finished.finish), (bytes) => onlyTyped(HandshakeError, () => parseFinish(bytes))) },
    { name: 'node-record', property: fc.property(around(p.b.local.record), (bytes) => onlyTyped(HandshakeError, () => verifyNodeRecord(bytes, peerOfB, Date.now()))) },
    {
      name: 'sealed-frame',
      property: fc.property(around(frame), (bytes) => onlyTyped(FrameError, () => new SessionChannel(receiverKeys, 0).open(bytes))),
    },
    { name: 'rekey-offer', property: fc.property(around(pending.offer), (bytes) => onlyTyped(HandshakeError, () => answerRekey(p.pqc, receiverKeys, 'x-wing', bytes))) },
    { name: 'rekey-accept', property: fc.property(around(rekeyAccept), (bytes) => onlyTyped(HandshakeError, () => completeRekey(pending, keys, bytes))) },
  ];
}
