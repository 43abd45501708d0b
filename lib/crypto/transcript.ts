/**
 * The handshake transcript: SHA-384 over a context (protocol label and the carrying TLS
 * connection's exported keying material, which binds the session to that one connection) and
 * every handshake message exactly as it crossed the wire.
 */
import { createHash, type Hash } from 'node:crypto';

export const SESSION_PROTOCOL_LABEL = 'x0tta6bl4 pq-session v1';
/** The RFC 5705 / RFC 8446 §7.5 exporter label the session asks the TLS connection for. */
export const TLS_EXPORTER_LABEL = 'EXPORTER-x0tta6bl4-pq-session-v1';
export const TLS_EXPORTER_BYTES = 32;

export class Transcript {
  private readonly hash: Hash;

  constructor(exporter: Uint8Array) {
    this.hash = createHash('sha384').update(SESSION_PROTOCOL_LABEL).update(Buffer.from([0])).update(exporter);
  }

  add(message: Uint8Array): this {
    this.hash.update(message);
    return this;
  }

  /** The hash so far, with `tail` appended (without adding it). */
  peek(tail?: Uint8Array): Buffer {
    const copy = this.hash.copy();
    if (tail) copy.update(tail);
    return copy.digest();
  }
}

/** What a Hello carries to prove which TLS connection it was written for (a relay is caught before any signature is checked). */
export function bindingHash(exporter: Uint8Array): Buffer {
  return createHash('sha256').update(SESSION_PROTOCOL_LABEL).update(Buffer.from([1])).update(exporter).digest();
}
