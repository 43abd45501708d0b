/**
 * The fuzz oracles can fail: each broken receiver planted into a real target (through the
 * target's factory, fixtures/planted-forgeries.ts) is caught within the 2,000 cases `npm test`
 * runs, as the finding it is; and `npm run fuzz` on a planted forgery exits 1 with the
 * counterexample and the seed and path that replay it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameError } from '../../lib/crypto/session-channel.js';
import { acceptingMldsa, signatureSkippingVerifier, tagIgnoringOpener, topicReadingDecoder } from './fixtures/planted-forgeries.js';
import { FuzzFinding, type FindingKind } from './fuzz-finding.js';
import type { FuzzSuite } from './fuzz-target.js';
import { handshakeTargets } from './handshake-targets.js';
import { linkTargets } from './link-frame-targets.js';
import { memberRecordTargets } from './member-record-targets.js';
import { sessionFrameTargets } from './session-frame-targets.js';
import { svidTargets } from './svid-targets.js';

const CASES = 2_000;
const RUNNER = fileURLToPath(new URL('./run.js', import.meta.url));
const PLANTED_SUITES = fileURLToPath(new URL('./fixtures/planted-forgeries.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs one target of a built suite and returns the finding it failed with (undefined if it passed). */
async function findingOf(build: Promise<FuzzSuite>, name: string): Promise<{ finding: FuzzFinding | undefined; counterexample: unknown }> {
  const suite = await build;
  try {
    const target = suite.targets.find((candidate) => candidate.name === name)!;
    const result = await fc.check(target.property, { numRuns: CASES });
    const error = result.errorInstance;
    return { finding: error instanceof FuzzFinding ? error : undefined, counterexample: result.counterexample?.[0] };
  } finally {
    await suite.close();
  }
}

describe('a planted broken receiver fails its fuzz target', () => {
  it.each<[string, () => Promise<FuzzSuite>, string, FindingKind]>([
    ['an AES-GCM opener that never checks the tag', () => sessionFrameTargets({ open: tagIgnoringOpener }), 'sealed-frame', 'forgery-accepted'],
    ['an ML-DSA-65 verify that accepts any signature (Accept)', () => handshakeTargets({ pqc: acceptingMldsa }), 'accept', 'forgery-accepted'],
    ['an ML-DSA-65 verify that accepts any signature (Finish)', () => handshakeTargets({ pqc: acceptingMldsa }), 'finish', 'forgery-accepted'],
    ['an ML-DSA-65 verify that accepts any signature (a relayed member record)', () => memberRecordTargets({ pqc: acceptingMldsa }), 'member-record', 'forgery-accepted'],
    ['an ML-DSA-65 verify that accepts any signature (a relayed member claim)', () => memberRecordTargets({ pqc: acceptingMldsa }), 'member-claim', 'forgery-accepted'],
    ['an SVID validator that verifies no signature', () => svidTargets({ verify: signatureSkippingVerifier }), 'svid-chain', 'forgery-accepted'],
    ['a frame decoder that throws a TypeError', () => linkTargets({ decode: topicReadingDecoder }), 'link-frame', 'foreign-error'],
    ['an opener that refuses every frame, genuine ones too', () => sessionFrameTargets({ open: () => { throw new FrameError('authentication', 'refuses everything'); } }), 'sealed-frame', 'recorded-refused'],
  ])('%s', async (_what, build, target, kind) => {
    const { finding } = await findingOf(build(), target);
    expect(finding?.kind).toBe(kind);
  });

  it('the sealed-frame forgery is a frame the sender never sealed', async () => {
    const { finding, counterexample } = await findingOf(sessionFrameTargets({ open: tagIgnoringOpener }), 'sealed-frame');
    expect(finding?.message).toMatch(/differ from every recorded message were accepted as authentic/);
    expect(counterexample).toBeInstanceOf(Uint8Array);
  });
});

interface CliRun {
  code: number;
  lines: Array<Record<string, unknown>>;
  stderr: string;
}

async function fuzzCli(...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [RUNNER, ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, lines: stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>), stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    const stdout = failed.stdout?.trim() ?? '';
    return { code: failed.code ?? -1, lines: stdout === '' ? [] : stdout.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>), stderr: failed.stderr ?? '' };
  }
}

describe('npm run fuzz', () => {
  it('exits 1 on a planted forgery, printing the counterexample, the finding and the seed and path that replay it', async () => {
    const run = await fuzzCli('planted', '--suites-module', PLANTED_SUITES, '--runs', String(CASES), '--seed', '42');
    expect(run.code).toBe(1);
    const failure = run.lines.at(-1)!;
    expect(failure).toMatchObject({ suite: 'planted', target: 'sealed-frame', failed: true, seed: 42 });
    expect(failure['error']).toMatch(/^FuzzFinding: forgery-accepted/);
    expect(failure['counterexample']).toMatch(/^[0-9a-f]+$/);
    expect(failure['replay']).toBe(`npm run fuzz -- planted --target sealed-frame --seed 42 --path ${String(failure['path'])}`);
    expect(run.stderr).toContain('replay: npm run fuzz -- planted --target sealed-frame --seed 42');

    // The printed seed and path replay the failure, without a search.
    const replay = await fuzzCli('planted', '--suites-module', PLANTED_SUITES, '--target', 'sealed-frame', '--seed', '42', '--path', String(failure['path']));
    expect(replay.code).toBe(1);
    expect(replay.lines.at(-1)).toMatchObject({ target: 'sealed-frame', failed: true, error: failure['error'] });
  });

  it('exits 0 when every target passes, with one line per target and a summary', async () => {
    const run = await fuzzCli('link', '--runs', '200', '--seed', '7');
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => line['target'])).toEqual(['link-frame', 'link-records', undefined]);
    expect(run.lines.at(-1)).toMatchObject({ suites: ['link'], targets: 2, runsPerTarget: 200, seed: 7, failed: false });
  });

  it('exits 2 on an unknown suite', async () => {
    const run = await fuzzCli('no-such-suite', '--runs', '1');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown fuzz suite 'no-such-suite'");
  });
});
