/** The JWT-SVID profile of the Workload API, client against the embedded server over a real unix socket. */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedSvidSource, type EmbeddedSvidSource } from '../../../actors/identity/embedded-svid-source.js';
import { WorkloadApiCallError, WorkloadApiJwtClient } from '../../../lib/spiffe/workload-api-jwt.js';
import { startWorkloadApiServer, type X509SvidSource } from '../../../actors/identity/workload-api-server.js';
import { AudienceMismatchError, validateJwtSvid } from '../../../lib/spiffe/jwt-svid.js';
import { parseSpiffeId } from '../../../lib/spiffe/spiffe-id.js';
import { createTrustDomainCa, type TrustDomainCa } from '../../../lib/spiffe/svid-issuer.js';

let ca: TrustDomainCa;
beforeAll(async () => {
  ca = await createTrustDomainCa('mesh.test', { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) });
});

describe('Workload API JWT-SVID profile', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(source?: X509SvidSource): Promise<{ client: WorkloadApiJwtClient; embedded: EmbeddedSvidSource }> {
    const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-jwt-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const embedded = await createEmbeddedSvidSource({ ca, spiffeId: parseSpiffeId('spiffe://mesh.test/node/a') });
    cleanups.push(() => embedded.stop());
    const server = await startWorkloadApiServer({ socketPath: join(dir, 'agent.sock'), source: source ?? embedded });
    cleanups.push(() => server.close());
    const client = new WorkloadApiJwtClient({ kind: 'unix', path: join(dir, 'agent.sock') });
    cleanups.push(() => client.close());
    return { client, embedded };
  }

  it('fetches a JWT-SVID for an audience that validates locally with the fetched bundles and on the agent', async () => {
    const { client } = await setUp();
    const [svid] = await client.fetchJwtSvids(['peer-link']);
    expect(svid!.spiffeId.id).toBe('spiffe://mesh.test/node/a');
    const bundles = await client.fetchJwtBundles();
    expect([...bundles.keys()]).toEqual(['mesh.test']);
    const local = await validateJwtSvid(svid!.token, bundles, 'peer-link');
    expect(local.spiffeId.id).toBe('spiffe://mesh.test/node/a');
    expect(local.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(300_000);
    await expect(validateJwtSvid(svid!.token, bundles, 'elsewhere')).rejects.toBeInstanceOf(AudienceMismatchError);
    const remote = await client.validateJwtSvid('peer-link', svid!.token);
    expect(remote.spiffeId.id).toBe('spiffe://mesh.test/node/a');
    expect(remote.claims).toMatchObject({ sub: 'spiffe://mesh.test/node/a', aud: ['peer-link'] });
  });

  it('answers bad requests as the standard says: InvalidArgument, and PermissionDenied without an identity', async () => {
    const { client } = await setUp();
    await expect(client.fetchJwtSvids([])).rejects.toMatchObject({ name: 'WorkloadApiCallError', code: grpc.status.INVALID_ARGUMENT });
    await expect(client.fetchJwtSvids(['x'], 'spiffe://mesh.test/node/other')).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    const [svid] = await client.fetchJwtSvids(['peer-link']);
    const refused = client.validateJwtSvid('elsewhere', svid!.token);
    await expect(refused).rejects.toBeInstanceOf(WorkloadApiCallError);
    await expect(refused).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('AudienceMismatchError') });
    await expect(client.validateJwtSvid('peer-link', '')).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });

  it('answers Unimplemented where the source does not issue JWT-SVIDs', async () => {
    const x509Only: X509SvidSource = { current: () => undefined, onChange: () => () => undefined };
    const { client } = await setUp(x509Only);
    await expect(client.fetchJwtSvids(['peer-link'])).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    await expect(client.fetchJwtBundles()).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    await expect(client.validateJwtSvid('a', 'b.c.d')).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });
});
