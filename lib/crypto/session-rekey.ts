/**
 * Rekeying an established session by a fresh hybrid exchange, carried inside the session's own
 * sealed frames (so it is authenticated by the current keys): the session's initiator offers a
 * new key share; the responder encapsulates to it, answers under the current keys and switches
 * its sending to the new epoch; the initiator decapsulates and switches too. The new keys chain
 * from the previous epoch secret (key-schedule.ts).
 *
 *   offer:  version u8 (1) | next epoch u32 | suite u8 | key share vector16
 *   accept: version u8 (1) | next epoch u32 | ciphertext vector16
 */
import { CryptoError } from './crypto-errors.js';
import { HandshakeError } from './handshake-error.js';
import { deriveNextKeys, type EpochKeys } from './key-schedule.js';
import type { Pqc } from './liboqs.js';
import { encapsulateTo, generateKeyShare, SUITE_SIZES, SUITES, suiteName, type KeyShare, type SuiteName } from './pq-suites.js';
import { SessionWireError, WireReader, WireWriter } from './wire.js';

const REKEY_VERSION = 1;

export interface PendingRekey {
  epoch: number;
  share: KeyShare;
  offer: Buffer;
}

function malformed(error: unknown): never {
  if (error instanceof SessionWireError) throw new HandshakeError('malformed', `rekey: ${error.message}`, { cause: error });
  throw error;
}

/** A key share or ciphertext that lib/crypto refuses ends the rekey as a HandshakeError, like the handshake's. */
function keyMaterial<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof CryptoError) throw new HandshakeError('key-material', `rekey: ${error.message}`, { cause: error });
    throw error;
  }
}

export function offerRekey(pqc: Pqc, current: EpochKeys, suite: SuiteName): PendingRekey {
  const share = generateKeyShare(pqc, suite);
  const epoch = current.epoch + 1;
  const offer = new WireWriter().u8(REKEY_VERSION).u32(epoch).u8(SUITES[suite]).vector16(share.publicKey).finish();
  return { epoch, share, offer };
}

/** The responder's side: the accept to send (under the current keys) and the next epoch's keys. */
export function answerRekey(pqc: Pqc, current: EpochKeys, suite: SuiteName, offer: Uint8Array): { accept: Buffer; next: EpochKeys } {
  let epoch: number;
  let share: Uint8Array;
  try {
    const reader = new WireReader(offer);
    const version = reader.u8('rekey.version');
    if (version !== REKEY_VERSION) throw new SessionWireError('rekey.version', `${version} is not supported`);
    epoch = reader.u32('rekey.epoch');
    const id = reader.u8('rekey.suite');
    if (suiteName(id) !== suite) throw new SessionWireError('rekey.suite', `${id} is not the session's suite ${SUITES[suite]}`);
    share = reader.vector16('rekey.keyShare', SUITE_SIZES[suite].publicKey, SUITE_SIZES[suite].publicKey);
    reader.end('rekey offer');
  } catch (error) {
    return malformed(error);
  }
  if (epoch !== current.epoch + 1) throw new HandshakeError('unexpected-message', `a rekey to epoch ${epoch} while at epoch ${current.epoch}`);
  const { ciphertext, sharedSecret } = keyMaterial(() => encapsulateTo(pqc, suite, share));
  const accept = new WireWriter().u8(REKEY_VERSION).u32(epoch).vector16(ciphertext).finish();
  return { accept, next: deriveNextKeys('responder', current, sharedSecret, [offer, accept]) };
}

export function completeRekey(pending: PendingRekey, current: EpochKeys, accept: Uint8Array): EpochKeys {
  let ciphertext: Uint8Array;
  try {
    const reader = new WireReader(accept);
    const version = reader.u8('rekey.version');
    if (version !== REKEY_VERSION) throw new SessionWireError('rekey.version', `${version} is not supported`);
    const epoch = reader.u32('rekey.epoch');
    if (epoch !== pending.epoch) throw new SessionWireError('rekey.epoch', `${epoch} answers no pending rekey (${pending.epoch} is pending)`);
    ciphertext = reader.vector16('rekey.ciphertext', SUITE_SIZES[pending.share.suite].ciphertext, SUITE_SIZES[pending.share.suite].ciphertext);
    reader.end('rekey accept');
  } catch (error) {
    return malformed(error);
  }
  return deriveNextKeys('initiator', current, keyMaterial(() => pending.share.decapsulate(ciphertext)), [pending.offer, accept]);
}
