/**
 * Why a post-quantum handshake or session aborted. `reason` is a fixed vocabulary, so metrics
 * can count failures by it (handshake_failures_total{reason}).
 */
export type HandshakeFailureReason =
  | 'malformed'
  | 'unexpected-message'
  | 'no-common-suite'
  | 'channel-binding'
  | 'node-record'
  | 'identity-mismatch'
  | 'signature'
  | 'key-material'
  | 'timeout';

export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
  constructor(
    readonly reason: HandshakeFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${reason}: ${message}`, options);
  }
}
