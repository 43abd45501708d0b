/**
 * SPIFFE IDs and trust domains, exactly per the SPIFFE-ID standard
 * (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md):
 * `spiffe://<trust domain><path>`, trust domain [a-z0-9._-]+, path segments [A-Za-z0-9._-]+ with no
 * empty, `.` or `..` segment and no trailing slash; no port, user info, query, fragment or
 * percent-encoding (those characters are simply not allowed).
 *
 * Case: the standard says the scheme and trust domain are case-insensitive and also that the
 * trust domain MUST be lower case. This parser takes the lower-case rule: `SPIFFE://…` and
 * upper-case trust domains are refused, never normalised, so one identity has one spelling and
 * authorization compares strings exactly (go-spiffe does the same; py-spiffe and java-spiffe
 * normalise). Paths are case-sensitive.
 */
import {
  BadPathCharError,
  BadSchemeError,
  BadTrustDomainCharError,
  DotSegmentError,
  EmptyIdError,
  EmptySegmentError,
  EmptyTrustDomainError,
  MissingTrustDomainError,
  NoLeadingSlashError,
  TrailingSlashError,
} from './errors.js';

const SCHEME_PREFIX = 'spiffe://';
const TRUST_DOMAIN_CHAR = /^[a-z0-9._-]$/;
const PATH_CHAR = /^[A-Za-z0-9._-]$/;

export interface SpiffeId {
  readonly trustDomain: string;
  /** '' or `/segment[/segment…]`. */
  readonly path: string;
  /** The canonical string form, `spiffe://td/path`. */
  readonly id: string;
}

export function parseSpiffeId(input: string): SpiffeId {
  if (input === '') throw new EmptyIdError('a SPIFFE ID cannot be empty', input);
  if (!input.startsWith(SCHEME_PREFIX)) {
    throw new BadSchemeError(`a SPIFFE ID must start with 'spiffe://' (scheme in lower case): ${JSON.stringify(input)}`, input);
  }
  const rest = input.slice(SCHEME_PREFIX.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (trustDomain === '') throw new MissingTrustDomainError(`a SPIFFE ID must name a trust domain: ${JSON.stringify(input)}`, input);
  checkTrustDomainChars(trustDomain, input);
  checkPath(path, input);
  return { trustDomain, path, id: input };
}

/**
 * A trust-domain name, or the trust domain of a whole SPIFFE ID when the input contains `:/`
 * (as go-spiffe's TrustDomainFromString does).
 */
export function parseTrustDomain(input: string): string {
  if (input.includes(':/')) return parseSpiffeId(input).trustDomain;
  if (input === '') throw new EmptyTrustDomainError('a trust domain cannot be empty', input);
  checkTrustDomainChars(input, input);
  return input;
}

/** A SPIFFE ID path: '' (none), or `/`-separated valid segments. */
export function validatePath(path: string): void {
  checkPath(path, path);
}

export function validatePathSegment(segment: string): void {
  if (segment === '') throw new EmptySegmentError('a path segment cannot be empty', segment);
  checkSegment(segment, segment);
}

export function spiffeIdOf(trustDomain: string, path: string): SpiffeId {
  return parseSpiffeId(`${SCHEME_PREFIX}${trustDomain}${path}`);
}

function checkTrustDomainChars(trustDomain: string, input: string): void {
  for (const char of trustDomain) {
    if (!TRUST_DOMAIN_CHAR.test(char)) {
      throw new BadTrustDomainCharError(
        `trust domain characters are limited to lower-case letters, digits, dots, dashes and underscores; got ${JSON.stringify(char)} in ${JSON.stringify(input)}`,
        input,
      );
    }
  }
}

function checkPath(path: string, input: string): void {
  if (path === '') return;
  if (!path.startsWith('/')) throw new NoLeadingSlashError(`a path must start with '/': ${JSON.stringify(input)}`, input);
  const segments = path.slice(1).split('/');
  segments.forEach((segment, index) => {
    if (segment === '') {
      if (index === segments.length - 1) throw new TrailingSlashError(`a path cannot end with '/': ${JSON.stringify(input)}`, input);
      throw new EmptySegmentError(`a path cannot contain empty segments ('//'): ${JSON.stringify(input)}`, input);
    }
    checkSegment(segment, input);
  });
}

function checkSegment(segment: string, input: string): void {
  for (const char of segment) {
    if (!PATH_CHAR.test(char)) {
      throw new BadPathCharError(
        `path characters are limited to letters, digits, dots, dashes and underscores; got ${JSON.stringify(char)} in ${JSON.stringify(input)}`,
        input,
      );
    }
  }
  if (segment === '.' || segment === '..') throw new DotSegmentError(`a path cannot contain '.' or '..' segments: ${JSON.stringify(input)}`, input);
}
