import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { caFiles, EmbeddedCaError, initEmbeddedCa, loadEmbeddedCa, refuseInProduction } from '../../../lib/spiffe/embedded-ca-files.js';
import { defaultNodeSpiffeId } from '../../../actors/identity/embedded-agent.js';
import { parseSpiffeId } from '../../../lib/spiffe/spiffe-id.js';
import { issueX509Svid } from '../../../lib/spiffe/svid-issuer.js';
import { verifyX509Svid } from '../../../lib/spiffe/x509-svid.js';

describe('embedded CA files', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('writes the CA with a 0600 key, loads it back able to issue, and refuses to overwrite it unless forced', async () => {
    dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-ca-'));
    const created = await initEmbeddedCa(dir, 'mesh.test');
    expect(statSync(caFiles(dir).key).mode & 0o777).toBe(0o600);
    const loaded = await loadEmbeddedCa(dir);
    expect(loaded.trustDomain).toBe('mesh.test');
    expect(loaded.certificate.serialNumber).toBe(created.certificate.serialNumber);
    const svid = await issueX509Svid(loaded, parseSpiffeId('spiffe://mesh.test/node/x'), { notBefore: new Date(Date.now() - 1_000), notAfter: new Date(Date.now() + 60_000) });
    expect((await verifyX509Svid([svid.certificate], new Map([['mesh.test', [created.certificate]]]))).spiffeId.id).toBe('spiffe://mesh.test/node/x');
    await expect(initEmbeddedCa(dir, 'mesh.test')).rejects.toThrow(EmbeddedCaError);
    const replaced = await initEmbeddedCa(dir, 'mesh.test', { force: true });
    expect(replaced.certificate.serialNumber).not.toBe(created.certificate.serialNumber);
    expect(statSync(caFiles(dir).key).mode & 0o777).toBe(0o600);
  });

  it('says what to do when there is no CA, and refuses in production', async () => {
    dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-ca-'));
    await expect(loadEmbeddedCa(dir)).rejects.toThrow(/x0tta6bl4 identity init --trust-domain/);
    expect(() => refuseInProduction(true, 'the embedded trust domain')).toThrow(/refused in production mode/);
    expect(() => refuseInProduction(false, 'the embedded trust domain')).not.toThrow();
  });

  it('names a node by its host in the trust domain, as a valid SPIFFE ID', () => {
    const id = defaultNodeSpiffeId('mesh.test');
    expect(id.id).toMatch(/^spiffe:\/\/mesh\.test\/node\/[a-z0-9._-]+$/);
  });
});
