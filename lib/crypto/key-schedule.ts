/**
 * Session keys from a hybrid shared secret, with HKDF-SHA-384 (RFC 5869, node:crypto): the
 * transcript hash is the salt, so the keys depend on every handshake byte, the negotiated suite
 * and the TLS connection; one AES-256 key per direction, and an epoch secret that the next
 * rekey's derivation chains from (so a rekey's fresh exchange adds to, never replaces, what the
 * session already has).
 */
import { createHash, hkdfSync } from 'node:crypto';

export type SessionRole = 'initiator' | 'responder';

export interface EpochKeys {
  epoch: number;
  send: Buffer;
  receive: Buffer;
  /** Input to the next epoch's derivation; never used as a key itself. */
  epochSecret: Buffer;
}

const LABEL = 'x0tta6bl4 pq-session v1';

function expand(ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha384', ikm, salt, `${LABEL} ${info}`, length));
}

function keysFor(role: SessionRole, epoch: number, ikm: Uint8Array, salt: Uint8Array): EpochKeys {
  const i2r = expand(ikm, salt, 'key initiator->responder', 32);
  const r2i = expand(ikm, salt, 'key responder->initiator', 32);
  return {
    epoch,
    send: role === 'initiator' ? i2r : r2i,
    receive: role === 'initiator' ? r2i : i2r,
    epochSecret: expand(ikm, salt, 'epoch secret', 48),
  };
}

/** Epoch 0: from the handshake's shared secret and its complete transcript hash. */
export function deriveInitialKeys(role: SessionRole, sharedSecret: Uint8Array, transcriptHash: Uint8Array): EpochKeys {
  return keysFor(role, 0, sharedSecret, transcriptHash);
}

/** The next epoch: the rekey exchange's shared secret, salted with the previous epoch secret and the rekey messages. */
export function deriveNextKeys(role: SessionRole, previous: EpochKeys, sharedSecret: Uint8Array, rekeyMessages: Uint8Array[]): EpochKeys {
  const salt = createHash('sha384').update(previous.epochSecret);
  for (const message of rekeyMessages) salt.update(message);
  return keysFor(role, previous.epoch + 1, sharedSecret, salt.digest());
}
