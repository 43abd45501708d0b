/**
 * One error class per rule of the SPIFFE-ID standard (and of the Workload Endpoint address), so a
 * caller can tell which rule an input broke by `name` alone. All extend SpiffeIdError.
 */
export class SpiffeIdError extends Error {
  constructor(
    message: string,
    readonly input: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An empty SPIFFE ID or trust domain. */
export class EmptyIdError extends SpiffeIdError {}
/** The scheme is not exactly `spiffe` followed by `://` (lower case: see spiffe-id.ts). */
export class BadSchemeError extends SpiffeIdError {}
/** Nothing between `spiffe://` and the path. */
export class MissingTrustDomainError extends SpiffeIdError {}
/** An empty trust-domain name: a trust domain missing, and empty. */
export class EmptyTrustDomainError extends MissingTrustDomainError {}
/** A trust-domain character outside [a-z0-9._-]. */
export class BadTrustDomainCharError extends SpiffeIdError {}
/** A path character outside [A-Za-z0-9._-] (percent-encoding included: the standard forbids it). */
export class BadPathCharError extends SpiffeIdError {}
/** A path segment `.` or `..`. */
export class DotSegmentError extends SpiffeIdError {}
/** Two slashes in a row. */
export class EmptySegmentError extends SpiffeIdError {}
/** A path ending in `/`: an empty last segment, so it is also an EmptySegmentError (py-spiffe reports it as one). */
export class TrailingSlashError extends EmptySegmentError {}
/** A non-empty path that does not start with `/`. */
export class NoLeadingSlashError extends SpiffeIdError {}
