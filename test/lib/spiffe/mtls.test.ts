/**
 * Mutual TLS with SVIDs over real TLS 1.3 sockets on loopback: an allowed peer is accepted, a
 * peer of another trust domain and a peer of the right trust domain with a disallowed path are
 * refused, and a rotated SVID serves new connections while an established one stays up.
 */
import { webcrypto } from 'node:crypto';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { secureContextOptions, verifyPeer, type SvidCredentials } from '../../../lib/spiffe/mtls.js';
import { PeerNotAuthorizedError, type PeerPolicy } from '../../../lib/spiffe/peer-policy.js';
import { parseSpiffeId } from '../../../lib/spiffe/spiffe-id.js';
import { NoBundleForTrustDomainError, SvidError } from '../../../lib/spiffe/svid-errors.js';
import { createTrustDomainCa, issueX509Svid, type TrustDomainCa } from '../../../lib/spiffe/svid-issuer.js';

let mesh: TrustDomainCa;
let other: TrustDomainCa;
const hour = 3_600_000;

beforeAll(async () => {
  const window = { notBefore: new Date(Date.now() - hour), notAfter: new Date(Date.now() + 24 * hour) };
  mesh = await createTrustDomainCa('mesh.test', window);
  other = await createTrustDomainCa('other.test', window);
});

async function credentials(ca: TrustDomainCa, id: string, bundles: TrustDomainCa[]): Promise<SvidCredentials> {
  const svid = await issueX509Svid(ca, parseSpiffeId(id), { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + hour) });
  return {
    chain: [svid.certificate],
    privateKey: new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', svid.keys.privateKey)),
    bundles: new Map(bundles.map((bundle) => [bundle.trustDomain, [bundle.certificate]])),
  };
}

interface Outcome {
  server: string | Error;
  client: string | Error;
  socket: TLSSocket;
}

describe('mTLS with SPIFFE IDs', () => {
  const servers: Server[] = [];
  const sockets: TLSSocket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function serve(creds: SvidCredentials, policies: PeerPolicy[]): Promise<{ port: number; server: Server; verdicts: (string | Error)[] }> {
    const verdicts: (string | Error)[] = [];
    const server = createServer({ ...secureContextOptions(creds), requestCert: true, rejectUnauthorized: false }, (socket) => {
      verifyPeer(socket, creds.bundles, policies).then(
        (peer) => {
          verdicts.push(peer.id);
          socket.write('welcome\n');
          socket.on('data', (data: Buffer) => socket.write(data));
        },
        (error: Error) => {
          verdicts.push(error);
          socket.destroy();
        },
      );
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as { port: number }).port, server, verdicts };
  }

  async function dial(port: number, creds: SvidCredentials, policies: PeerPolicy[], verdicts: (string | Error)[]): Promise<Outcome> {
    const socket = connect({ port, host: '127.0.0.1', ...secureContextOptions(creds), rejectUnauthorized: false, checkServerIdentity: () => undefined });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const client = await verifyPeer(socket, creds.bundles, policies).then(
      (peer) => peer.id,
      (error: Error) => error,
    );
    const server = await new Promise<string | Error>((resolve) => {
      const check = () => (verdicts.length > 0 ? resolve(verdicts.shift()!) : setTimeout(check, 5));
      check();
    });
    return { server, client, socket };
  }

  const meshNodes: PeerPolicy[] = [{ kind: 'path-prefix', trustDomain: 'mesh.test', prefix: '/node' }];

  it('accepts an allowed peer on both sides', async () => {
    const server = await serve(await credentials(mesh, 'spiffe://mesh.test/node/a', [mesh]), meshNodes);
    const outcome = await dial(server.port, await credentials(mesh, 'spiffe://mesh.test/node/b', [mesh]), meshNodes, server.verdicts);
    expect(outcome).toMatchObject({ server: 'spiffe://mesh.test/node/b', client: 'spiffe://mesh.test/node/a' });
    const line = await new Promise<string>((resolve) => outcome.socket.once('data', (data: Buffer) => resolve(data.toString())));
    expect(line).toBe('welcome\n');
  });

  it('refuses a peer of another trust domain: without its bundle, and with it but no policy for it', async () => {
    const server = await serve(await credentials(mesh, 'spiffe://mesh.test/node/a', [mesh]), meshNodes);
    const stranger = await dial(server.port, await credentials(other, 'spiffe://other.test/node/b', [other, mesh]), [], server.verdicts);
    expect(stranger.server).toBeInstanceOf(NoBundleForTrustDomainError);

    const federated = await serve(await credentials(mesh, 'spiffe://mesh.test/node/a', [mesh, other]), meshNodes);
    const outcome = await dial(federated.port, await credentials(other, 'spiffe://other.test/node/b', [other, mesh]), [], federated.verdicts);
    expect(outcome.server).toBeInstanceOf(PeerNotAuthorizedError);
  });

  it('refuses a peer of the allowed trust domain whose path the policy does not allow', async () => {
    const server = await serve(await credentials(mesh, 'spiffe://mesh.test/node/a', [mesh]), meshNodes);
    const outcome = await dial(server.port, await credentials(mesh, 'spiffe://mesh.test/admin/tool', [mesh]), [], server.verdicts);
    expect(outcome.server).toBeInstanceOf(PeerNotAuthorizedError);
    expect((outcome.server as Error).message).toContain('spiffe://mesh.test/admin/tool');
  });

  it('refuses a server whose SVID a forged CA signed, on the client side', async () => {
    const forged = await createTrustDomainCa('mesh.test', { notBefore: new Date(Date.now() - hour), notAfter: new Date(Date.now() + hour) });
    const server = await serve(await credentials(forged, 'spiffe://mesh.test/node/a', [forged]), [{ kind: 'trust-domain', trustDomain: 'mesh.test' }]);
    const outcome = await dial(server.port, await credentials(mesh, 'spiffe://mesh.test/node/b', [mesh]), meshNodes, server.verdicts);
    expect(outcome.client).toBeInstanceOf(SvidError);
  });

  it('serves new connections with a rotated SVID at once, while an established connection stays up', async () => {
    const first = await credentials(mesh, 'spiffe://mesh.test/node/a', [mesh]);
    const server = await serve(first, meshNodes);
    const client = await credentials(mesh, 'spiffe://mesh.test/node/b', [mesh]);
    const before = await dial(server.port, client, meshNodes, server.verdicts);
    const welcomed = new Promise<string>((resolve) => before.socket.once('data', (data: Buffer) => resolve(data.toString())));
    expect(await welcomed).toBe('welcome\n');
    const rotated = await credentials(mesh, 'spiffe://mesh.test/node/a', [mesh]);
    server.server.setSecureContext(secureContextOptions(rotated));
    const after = await dial(server.port, client, meshNodes, server.verdicts);
    const serialOf = (socket: TLSSocket) => socket.getPeerCertificate().serialNumber.toLowerCase().replace(/^0+/, '');
    expect(serialOf(after.socket)).toBe(rotated.chain[0]!.serialNumber.toLowerCase().replace(/^0+/, ''));
    expect(serialOf(before.socket)).toBe(first.chain[0]!.serialNumber.toLowerCase().replace(/^0+/, ''));
    // The connection made before the rotation still carries traffic both ways.
    const echoed = new Promise<string>((resolve) => before.socket.once('data', (data: Buffer) => resolve(data.toString())));
    before.socket.write('after the rotation\n');
    expect(await echoed).toBe('after the rotation\n');
  });
});
