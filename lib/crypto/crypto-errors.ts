/**
 * Typed errors of lib/crypto. Every failure names what failed; none carries key material.
 */
export class CryptoError extends Error {
  override readonly name: string = 'CryptoError';
}

/** A known-answer self-test failed: the node must not start (exit code EXIT_SELF_TEST). */
export class SelfTestError extends CryptoError {
  override readonly name = 'SelfTestError';
  constructor(
    readonly algorithm: string,
    detail: string,
  ) {
    super(`known-answer self-test failed for ${algorithm}: ${detail}`);
  }
}

/** A public key, ciphertext or signature of the wrong length or outside its algorithm's rules. */
export class InvalidKeyMaterialError extends CryptoError {
  override readonly name = 'InvalidKeyMaterialError';
}

/** liboqs refused an operation (its error, kept as the cause). */
export class PqcOperationError extends CryptoError {
  override readonly name = 'PqcOperationError';
}
