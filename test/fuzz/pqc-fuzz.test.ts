/** The post-quantum parsers' fuzz targets at test-suite size; `npm run fuzz -- pqc` runs them at a million cases and more. */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { pqcTargets } from './pqc-targets.js';

const targets = await pqcTargets();

describe('post-quantum parsers under fuzzing', () => {
  it.each(targets.map((target) => [target.name, target] as const))('%s: only typed errors', (_, target) => {
    fc.assert(target.property, { numRuns: 2_000 });
  });
});
