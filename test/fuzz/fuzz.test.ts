/**
 * Every fuzz target of every suite (fuzz-suites.ts) at test-suite size: 2,000 cases each, with a
 * fresh seed per run (fast-check prints it and the replay path on a failure). `npm run fuzz --
 * all` runs the same targets at a million cases each.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FuzzSuite } from './fuzz-target.js';
import { FUZZ_SUITES } from './fuzz-suites.js';

/** The figure for `npm test`: enough to catch a verifier that accepts tampered input within seconds. */
const CASES_PER_TARGET = 2_000;

describe.each(Object.entries(FUZZ_SUITES))('fuzz suite %s', (_suite, entry) => {
  let built: FuzzSuite | undefined;
  beforeAll(async () => {
    built = await entry.build();
  });
  afterAll(async () => {
    await built?.close();
  });

  it('builds the targets it names', () => {
    expect(built!.targets.map((target) => target.name)).toEqual([...entry.targets]);
  });

  it.each([...entry.targets])(`%s: ${CASES_PER_TARGET} cases, no forgery accepted, only typed rejections, every invariant held`, async (name) => {
    const target = built!.targets.find((candidate) => candidate.name === name)!;
    await fc.assert(target.property, { numRuns: CASES_PER_TARGET });
    // The accepting side was reached: a run in which nothing was accepted would test only refusals.
    expect([...target.outcomes.keys()].some((outcome) => outcome.startsWith('accepted') || outcome === 'agreed')).toBe(true);
  });
});
