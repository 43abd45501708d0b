/**
 * Every SPIFFE ID, trust-domain and path vector of ../shared/conformance/spiffe (collected from
 * go-spiffe, py-spiffe, java-spiffe and a conformance suite). The 71 `caseDependent` cases are
 * judged by the lower-case rule this project takes (lib/spiffe/spiffe-id.ts): any upper case in
 * the scheme or trust domain is refused.
 */
import { describe, expect, it } from 'vitest';
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
  SpiffeIdError,
  TrailingSlashError,
} from '../../../lib/spiffe/errors.js';
import { parseSpiffeId, parseTrustDomain, spiffeIdOf, validatePath, validatePathSegment } from '../../../lib/spiffe/spiffe-id.js';
import { readSharedJson } from '../../helpers/shared-data.js';

interface IdVector {
  input: string;
  kind: 'id' | 'trustdomain';
  valid: boolean;
  category?: string;
  caseDependent?: boolean;
  expect?: { trustDomain: string; path?: string };
  test?: string;
  library?: string;
}

interface PathVector {
  input: string;
  kind: 'path' | 'segment';
  valid: boolean;
  category?: string;
}

/** The vectors' normalised error kinds, and the class that carries each rule here. */
const ERROR_CLASS: Record<string, new (...args: never[]) => SpiffeIdError> = {
  empty: EmptyIdError,
  bad_scheme: BadSchemeError,
  missing_trust_domain: MissingTrustDomainError,
  bad_trust_domain_char: BadTrustDomainCharError,
  bad_path_char: BadPathCharError,
  dot_segment: DotSegmentError,
  empty_segment: EmptySegmentError,
  trailing_slash: TrailingSlashError,
  no_leading_slash: NoLeadingSlashError,
};

const idVectors = readSharedJson<IdVector[]>('conformance/spiffe/id-vectors.json');
const pathVectors = readSharedJson<PathVector[]>('conformance/spiffe/path-vectors.json');

function outcome(run: () => unknown): { ok: true; value: unknown } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The lower-case rule: upper case in the scheme or trust domain makes an input invalid. */
function hasUpperCaseOutsidePath(input: string): boolean {
  const afterScheme = input.indexOf('://');
  const head = afterScheme < 0 ? input : input.slice(0, input.indexOf('/', afterScheme + 3) < 0 ? undefined : input.indexOf('/', afterScheme + 3));
  return /[A-Z]/.test(head);
}

describe('SPIFFE ID and trust domain conformance vectors', () => {
  it('has the expected number of vectors', () => {
    expect(idVectors).toHaveLength(1_025);
    expect(idVectors.filter((vector) => vector.caseDependent)).toHaveLength(71);
    expect(pathVectors).toHaveLength(31);
  });

  const cases = idVectors.map((vector, index) => ({ ...vector, name: `#${index} ${vector.kind} ${JSON.stringify(vector.input).slice(0, 60)}` }));

  it.each(cases.filter((vector) => !vector.caseDependent))('$name', (vector) => {
    const result = outcome(() => (vector.kind === 'id' ? parseSpiffeId(vector.input) : parseTrustDomain(vector.input)));
    expect(result.ok, vector.test).toBe(vector.valid);
    if (result.ok) {
      if (vector.expect) {
        const trustDomain = vector.kind === 'id' ? (result.value as { trustDomain: string }).trustDomain : result.value;
        expect(trustDomain).toBe(vector.expect.trustDomain);
        if (vector.kind === 'id' && vector.expect.path !== undefined) expect((result.value as { path: string }).path).toBe(vector.expect.path);
      }
    } else {
      expect(result.error).toBeInstanceOf(SpiffeIdError);
      if (vector.category) {
        const expected = vector.kind === 'trustdomain' && vector.category === 'empty' ? EmptyTrustDomainError : ERROR_CLASS[vector.category]!;
        expect(result.error).toBeInstanceOf(expected);
      }
    }
  });

  it.each(cases.filter((vector) => vector.caseDependent))('$name (case-dependent: refused by the lower-case rule)', (vector) => {
    expect(hasUpperCaseOutsidePath(vector.input)).toBe(true);
    const result = outcome(() => (vector.kind === 'id' ? parseSpiffeId(vector.input) : parseTrustDomain(vector.input)));
    expect(result.ok).toBe(false);
    const error = (result as { error: unknown }).error;
    expect([BadSchemeError, BadTrustDomainCharError].some((errorClass) => error instanceof errorClass)).toBe(true);
  });
});

describe('path and segment conformance vectors', () => {
  it.each(pathVectors.map((vector, index) => ({ ...vector, name: `#${index} ${vector.kind} ${JSON.stringify(vector.input)}` })))('$name', (vector) => {
    const result = outcome(() => (vector.kind === 'path' ? validatePath(vector.input) : validatePathSegment(vector.input)));
    expect(result.ok).toBe(vector.valid);
    if (!result.ok && vector.category) expect((result as { error: unknown }).error).toBeInstanceOf(ERROR_CLASS[vector.category]!);
  });
});

describe('SpiffeId', () => {
  it('splits trust domain and path, and builds from the parts', () => {
    expect(parseSpiffeId('spiffe://example.org/ns/prod/node-1')).toEqual({ trustDomain: 'example.org', path: '/ns/prod/node-1', id: 'spiffe://example.org/ns/prod/node-1' });
    expect(spiffeIdOf('example.org', '/node')).toMatchObject({ id: 'spiffe://example.org/node' });
    expect(() => spiffeIdOf('Example.org', '/node')).toThrow(BadTrustDomainCharError);
    expect(() => parseSpiffeId('spiffe://example.org/a b')).toThrow(/got " " in/);
  });
});
