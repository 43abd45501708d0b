/**
 * The known-answer tests at their CI size (C2SP's 10 000-iteration accumulated vectors), the
 * X-Wing draft-08 vectors, and the self-test's failures: a vector that does not match names its
 * algorithm.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SelfTestError } from '../../../lib/crypto/crypto-errors.js';
import { loadPqc, type Pqc } from '../../../lib/crypto/liboqs.js';
import { DEFAULT_VECTORS_DIR, runCryptoSelfTest, selfTestMlDsa65, selfTestMlKem, selfTestXWing } from '../../../lib/crypto/self-test.js';

let pqc: Pqc;
let planted: string;
beforeAll(async () => {
  pqc = await loadPqc();
  planted = mkdtempSync(join(tmpdir(), 'x0tta6bl4-vectors-'));
});
afterAll(() => rmSync(planted, { recursive: true, force: true }));

/** A copy of the shipped vectors with one value changed. */
function tampered(file: string, change: (json: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(planted, 'case-'));
  cpSync(DEFAULT_VECTORS_DIR, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
  change(json);
  writeFileSync(join(dir, file), JSON.stringify(json));
  return dir;
}

const flipFirst = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

describe('post-quantum known-answer self-test', () => {
  it('passes at start-up size', () => {
    expect(() => runCryptoSelfTest(pqc)).not.toThrow();
  });

  it('passes X-Wing draft-08 Appendix C', () => {
    expect(() => selfTestXWing(pqc)).not.toThrow();
  });

  it.each(['ML-KEM-768', 'ML-KEM-1024'] as const)('passes C2SP accumulated vectors for %s over 10 000 tests', (algorithm) => {
    expect(() => selfTestMlKem(pqc, algorithm, 10_000)).not.toThrow();
  });

  it('passes C2SP accumulated vectors for ML-DSA-65 over 10 000 tests', () => {
    expect(() => selfTestMlDsa65(pqc, 10_000)).not.toThrow();
  });

  it.each([
    ['X-Wing', 'xwing-draft-08.json', (json: Record<string, unknown>) => {
      const vector = (json['vectors'] as Array<Record<string, string>>)[1]!;
      vector['ss'] = flipFirst(vector['ss']!);
    }],
    ['ML-KEM-768', 'accumulated.json', (json: Record<string, unknown>) => {
      const table = (json['mlkem'] as Record<string, Record<string, string>>)['ML-KEM-768']!;
      table['100'] = flipFirst(table['100']!);
    }],
    ['ML-KEM-1024', 'accumulated.json', (json: Record<string, unknown>) => {
      const table = (json['mlkem'] as Record<string, Record<string, string>>)['ML-KEM-1024']!;
      table['100'] = flipFirst(table['100']!);
    }],
    ['ML-DSA-65', 'accumulated.json', (json: Record<string, unknown>) => {
      const table = (json['mldsa'] as Record<string, Record<string, string>>)['ML-DSA-65']!;
      table['100'] = flipFirst(table['100']!);
    }],
  ])('fails naming %s when its vector does not match', (algorithm, file, change) => {
    const dir = tampered(file, change);
    let caught: unknown;
    try {
      runCryptoSelfTest(pqc, { vectorsDir: dir });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SelfTestError);
    expect((caught as SelfTestError).algorithm).toContain(algorithm);
    expect((caught as Error).message).toContain(algorithm);
  });
});
