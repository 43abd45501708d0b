/** `x0tta6bl4 identity init | issue | verify-svid` as an operator runs them: real processes, real files. */
import { PemConverter } from '@peculiar/x509';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_MAIN, reapAll, startProcess } from '../helpers/node-process.js';

let dir: string | undefined;
afterEach(async () => {
  await reapAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | string; output: string }> {
  const run = startProcess([CLI_MAIN, ...args], { env });
  const code = await run.exited;
  return { code, output: run.output() };
}

describe('x0tta6bl4 identity', () => {
  it('creates a CA with a 0600 key, issues an SVID that verify-svid accepts (PEM and DER), and refuses what breaks a rule', async () => {
    dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-id-'));
    const data = join(dir, 'data');
    const init = await cli(['identity', 'init', '--trust-domain', 'mesh.local', '--data-dir', data]);
    expect(init.code).toBe(0);
    expect(init.output).toContain("created the CA of trust domain 'mesh.local'");
    expect(statSync(join(data, 'identity', 'ca-key.pem')).mode & 0o777).toBe(0o600);
    const again = await cli(['identity', 'init', '--trust-domain', 'mesh.local', '--data-dir', data]);
    expect(again.code).toBe(2);
    expect(again.output).toContain('a CA already exists');

    const out = join(dir, 'node-b');
    const issued = await cli(['identity', 'issue', '--spiffe-id', 'spiffe://mesh.local/node/b', '--out', out, '--data-dir', data]);
    expect(issued.code).toBe(0);
    expect(statSync(join(out, 'svid-key.pem')).mode & 0o777).toBe(0o600);

    const verified = await cli(['identity', 'verify-svid', '--bundle', join(out, 'bundle.pem'), '--chain', join(out, 'svid.pem')]);
    expect(verified).toEqual({ code: 0, output: 'spiffe://mesh.local/node/b\n' });
    // DER files, as the Workload API hands them out.
    const derChain = join(dir, 'svid.der');
    writeFileSync(derChain, new Uint8Array(PemConverter.decode(readFileSync(join(out, 'svid.pem'), 'utf8'))[0]!));
    expect((await cli(['identity', 'verify-svid', '--bundle', join(out, 'bundle.pem'), '--chain', derChain])).code).toBe(0);

    const otherDomain = await cli(['identity', 'verify-svid', '--bundle', join(out, 'bundle.pem'), '--chain', join(out, 'svid.pem'), '--trust-domain', 'other.local']);
    expect(otherDomain.code).toBe(1);
    expect(otherDomain.output).toMatch(/rule: bundle of the own trust domain; NoBundleForTrustDomainError/);
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'certainly not a certificate');
    const parse = await cli(['identity', 'verify-svid', '--bundle', join(out, 'bundle.pem'), '--chain', garbage]);
    expect(parse.code).toBe(1);
    expect(parse.output).toMatch(/CertificateParseError/);
    // The bundle of another trust domain's CA does not vouch for this SVID.
    const otherData = join(dir, 'other');
    expect((await cli(['identity', 'init', '--trust-domain', 'mesh.local', '--data-dir', otherData])).code).toBe(0);
    const wrongCa = await cli(['identity', 'verify-svid', '--bundle', join(otherData, 'identity', 'ca.pem'), '--chain', join(out, 'svid.pem')]);
    expect(wrongCa.code).toBe(1);
    expect(wrongCa.output).toMatch(/UntrustedChainError/);
  });

  it('refuses the embedded CA in production mode, IDs of another trust domain, and IDs without a path', async () => {
    dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-id-'));
    const data = join(dir, 'data');
    const production = await cli(['identity', 'init', '--trust-domain', 'mesh.local', '--data-dir', data], { X0TTA6BL4_PRODUCTION: 'true' });
    expect(production.code).toBe(2);
    expect(production.output).toContain('production mode requires a SPIRE agent');
    // With an agent named, the embedded CA itself is refused.
    const withAgent = await cli(['identity', 'init', '--trust-domain', 'mesh.local', '--data-dir', data], {
      X0TTA6BL4_PRODUCTION: 'true',
      SPIFFE_ENDPOINT_SOCKET: 'unix:///run/spire/agent.sock',
    });
    expect(withAgent.code).toBe(2);
    expect(withAgent.output).toContain('refused in production mode');
    expect((await cli(['identity', 'init', '--trust-domain', 'mesh.local', '--data-dir', data])).code).toBe(0);
    const foreign = await cli(['identity', 'issue', '--spiffe-id', 'spiffe://elsewhere/node/b', '--out', join(dir, 'x'), '--data-dir', data]);
    expect(foreign.code).toBe(2);
    expect(foreign.output).toContain("not in this node's trust domain 'mesh.local'");
    const noPath = await cli(['identity', 'issue', '--spiffe-id', 'spiffe://mesh.local', '--out', join(dir, 'x'), '--data-dir', data]);
    expect(noPath.code).toBe(2);
    const badId = await cli(['identity', 'issue', '--spiffe-id', 'spiffe://Mesh.local/n', '--out', join(dir, 'x'), '--data-dir', data]);
    expect(badId.code).toBe(2);
    expect(badId.output).toContain('BadTrustDomainCharError');
    const badTd = await cli(['identity', 'init', '--trust-domain', 'bad domain', '--data-dir', join(dir, 'y')]);
    expect(badTd.code).toBe(2);
  });
});
