import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_REMOTE_PAYLOAD_DEPTH, nestingDepth, parseRemotePayload, RemotePayloadError } from '../../../lib/mesh/remote-payload.js';

/** The nesting depth of a parsed value, counted on the value itself: the oracle for the byte scan. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

const bytes = (text: string) => Buffer.from(text, 'utf8');

function refusal(text: string, maxDepth?: number): RemotePayloadError {
  try {
    parseRemotePayload(bytes(text), maxDepth);
  } catch (error) {
    if (error instanceof RemotePayloadError) return error;
    throw error;
  }
  throw new Error(`accepted: ${text.slice(0, 40)}`);
}

describe('remote payloads', () => {
  it('counts the depth of any JSON text as the parsed value has it, strings and escapes included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (value) => {
        const text = JSON.stringify(value);
        expect(nestingDepth(bytes(text), Number.MAX_SAFE_INTEGER)).toBe(depthOf(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it('does not count brackets or escaped quotes inside strings', () => {
    expect(nestingDepth(bytes(JSON.stringify({ a: '[[[{{{"\\"]]]' })), 100)).toBe(1);
    expect(nestingDepth(bytes(JSON.stringify(['\\', ['x']])), 100)).toBe(2);
    expect(nestingDepth(bytes(JSON.stringify({ 'ключ [': ['значение {'] })), 100)).toBe(2);
  });

  it('returns the value of a payload within the bound', () => {
    const value = { to: 'spiffe://mesh.test/node/b', list: [1, [2, [3]]], text: '[not nested]' };
    expect(parseRemotePayload(bytes(JSON.stringify(value)))).toEqual(value);
    const deepest = `${'['.repeat(MAX_REMOTE_PAYLOAD_DEPTH)}${']'.repeat(MAX_REMOTE_PAYLOAD_DEPTH)}`;
    expect(depthOf(parseRemotePayload(bytes(deepest)))).toBe(MAX_REMOTE_PAYLOAD_DEPTH);
  });

  it('refuses a payload one level past the bound, and the 20,000-deep one that stopped a node, before parsing it', () => {
    const past = MAX_REMOTE_PAYLOAD_DEPTH + 1;
    expect(refusal(`${'['.repeat(past)}${']'.repeat(past)}`).reason).toBe('too-deep');
    // Unbalanced: JSON.parse would fail too, but the depth is refused first, without building anything.
    expect(refusal('{"a":'.repeat(20_000)).reason).toBe('too-deep');
    expect(refusal('[[[]]]', 2)).toMatchObject({ name: 'RemotePayloadError', reason: 'too-deep', message: 'remote payload refused (too-deep): nested deeper than 2 levels' });
  });

  it('refuses what is not JSON with the parser\'s reason', () => {
    for (const text of ['', '{"n": 1', 'undefined', '\u0000', '[1,]']) {
      const error = refusal(text);
      expect(error.reason).toBe('not-json');
      expect(error.message).toMatch(/^remote payload refused \(not-json\): ./);
    }
  });

  it('accepts a value exactly when its depth is within the bound', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 8 }), (value, maxDepth) => {
        const text = JSON.stringify(value);
        if (depthOf(value) <= maxDepth) expect(parseRemotePayload(bytes(text), maxDepth)).toEqual(JSON.parse(text));
        else expect(refusal(text, maxDepth).reason).toBe('too-deep');
      }),
      { numRuns: 2_000 },
    );
  });
});
