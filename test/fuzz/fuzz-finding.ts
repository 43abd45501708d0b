/**
 * What a fuzz oracle refuses, by kind, so a failure says at once whether a forgery got through, a
 * parser threw something other than its own error, an accepted input broke the parser's stated
 * invariants, or the genuine message itself was refused (the oracle's accepting side is dead).
 */
export type FindingKind = 'forgery-accepted' | 'foreign-error' | 'invariant-broken' | 'recorded-refused';

export class FuzzFinding extends Error {
  override readonly name = 'FuzzFinding';
  constructor(
    readonly kind: FindingKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind}: ${message}`, options);
  }
}
