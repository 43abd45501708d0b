/**
 * `x0tta6bl4 identity init | issue | verify-svid` run in this process on real files (the operator's
 * process runs, exit codes included, are in identity-command.test.ts): the lifetime --ttl asks
 * for, the bundle handed out, a CA replaced only with --force, and the refusals each names.
 */
import { X509Certificate } from '@peculiar/x509';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { identityInitCommand } from '../../cli/identity-init-command.js';
import { identityIssueCommand } from '../../cli/identity-issue-command.js';
import { identityVerifyCommand } from '../../cli/identity-verify-command.js';
import { EXIT_FATAL } from '../../cli/exit-codes.js';
import { capturingOutput } from '../helpers/captured-output.js';

let dir: string;
let dataDir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-identity-'));
  dataDir = join(dir, 'data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;

describe('x0tta6bl4 identity, in process', () => {
  it('issues an SVID for the lifetime --ttl asks, with the CA as its bundle, which verify-svid accepts', async () => {
    const init = await capturingOutput(() => identityInitCommand({ dataDir, trustDomain: 'mesh.local' }));
    expect(init.stdout).toContain("created the CA of trust domain 'mesh.local'");
    const out = join(dir, 'node-b');
    const before = Date.now();
    const issued = await capturingOutput(() => identityIssueCommand({ dataDir, spiffeId: 'spiffe://mesh.local/node/b', out, ttl: '2h' }));
    expect(issued.stdout).toMatch(/^issued spiffe:\/\/mesh\.local\/node\/b \(expires .+\) into .+: svid\.pem, svid-key\.pem, bundle\.pem\n$/);
    const svid = new X509Certificate(readFileSync(join(out, 'svid.pem'), 'utf8'));
    // Valid from a minute back (clock skew between nodes) for the two hours asked.
    expect(svid.notAfter.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 2 * HOUR);
    expect(svid.notAfter.getTime() - svid.notBefore.getTime()).toBe(2 * HOUR + 60_000);
    expect(statSync(join(out, 'svid-key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(out, 'bundle.pem'), 'utf8')).toBe(readFileSync(join(dataDir, 'identity', 'ca.pem'), 'utf8'));

    const verified = await capturingOutput(() => identityVerifyCommand({ bundle: join(out, 'bundle.pem'), chain: join(out, 'svid.pem') }));
    expect(verified).toMatchObject({ stdout: 'spiffe://mesh.local/node/b\n', exitCode: undefined });
    const otherDomain = await capturingOutput(() => identityVerifyCommand({ bundle: join(out, 'bundle.pem'), chain: join(out, 'svid.pem'), trustDomain: 'other.local' }));
    expect(otherDomain.exitCode).toBe(EXIT_FATAL);
    expect(otherDomain.stderr).toMatch(/^x0tta6bl4: not a valid X\.509-SVID: .+ \(rule: .+; NoBundleForTrustDomainError\)\n$/);
  });

  it('replaces a CA only with --force, after which SVIDs of the old one no longer verify', async () => {
    await capturingOutput(() => identityInitCommand({ dataDir, trustDomain: 'mesh.local' }));
    const out = join(dir, 'old');
    await capturingOutput(() => identityIssueCommand({ dataDir, spiffeId: 'spiffe://mesh.local/node/b', out }));
    await expect(identityInitCommand({ dataDir, trustDomain: 'mesh.local' })).rejects.toMatchObject({ name: 'EmbeddedCaError', message: expect.stringContaining('a CA already exists') });
    await capturingOutput(() => identityInitCommand({ dataDir, trustDomain: 'mesh.local', force: true }));
    const stale = await capturingOutput(() => identityVerifyCommand({ bundle: join(dataDir, 'identity', 'ca.pem'), chain: join(out, 'svid.pem') }));
    expect(stale.exitCode).toBe(EXIT_FATAL);
    expect(stale.stderr).toContain('UntrustedChainError');
  });

  it('refuses what breaks a rule, naming it: an ID without a path or of another trust domain, a bad --ttl, production mode, an unreadable file', async () => {
    await capturingOutput(() => identityInitCommand({ dataDir, trustDomain: 'mesh.local' }));
    const out = join(dir, 'x');
    await expect(identityIssueCommand({ dataDir, spiffeId: 'spiffe://mesh.local', out })).rejects.toMatchObject({
      name: 'UsageError',
      message: '--spiffe-id spiffe://mesh.local names the trust domain, not a workload: add a path',
    });
    await expect(identityIssueCommand({ dataDir, spiffeId: 'spiffe://elsewhere.local/node/b', out })).rejects.toMatchObject({
      name: 'UsageError',
      message: "--spiffe-id spiffe://elsewhere.local/node/b is not in this node's trust domain 'mesh.local'",
    });
    await expect(identityIssueCommand({ dataDir, spiffeId: 'spiffe://mesh.local/node/b', out, ttl: 'forever' })).rejects.toMatchObject({ name: 'UsageError' });
    const production = join(dir, 'production.json');
    writeFileSync(production, JSON.stringify({ production: true, identity: { agentSocket: 'unix:///run/spire/agent.sock' } }));
    await expect(identityIssueCommand({ config: production, dataDir, spiffeId: 'spiffe://mesh.local/node/b', out })).rejects.toMatchObject({
      name: 'EmbeddedCaError',
      message: expect.stringContaining('refused in production mode'),
    });
    await expect(identityInitCommand({ config: production, dataDir: join(dir, 'other'), trustDomain: 'mesh.local' })).rejects.toMatchObject({ name: 'EmbeddedCaError' });
    await expect(identityVerifyCommand({ bundle: join(dir, 'missing.pem'), chain: join(dir, 'missing.pem') })).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(/^cannot read .+missing\.pem: ENOENT/),
    });
  });
});
