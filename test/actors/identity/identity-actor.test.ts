/**
 * The identity actor in a real node (worker thread, real sockets): on the embedded trust domain
 * by default, and against an agent (our Workload API server) that is absent or has no identity
 * for the node yet, where status must say that it waits and why.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedSvidSource } from '../../../actors/identity/embedded-svid-source.js';
import { startWorkloadApiServer, type X509SvidSource } from '../../../actors/identity/workload-api-server.js';
import { ConfigError } from '../../../actors/runtime/config/config-error.js';
import { defaultTree } from '../../../actors/runtime/config/default-tree.js';
import { createNode, type X0tta6bl4Node } from '../../../actors/runtime/node.js';
import { parseNodeConfig, type NodeConfigInput } from '../../../actors/runtime/config/node-config.js';
import type { IdentityStatus } from '../../../actors/runtime/ops/node-status.js';
import type { SupervisorSpec } from '../../../actors/runtime/contracts/supervision-spec.js';
import { parseSpiffeId } from '../../../lib/spiffe/spiffe-id.js';
import { createTrustDomainCa } from '../../../lib/spiffe/svid-issuer.js';
import { pino } from 'pino';
import { waitFor } from '../../helpers/test-node.js';

describe('identity actor', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-idn-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** A node with only the security subtree of the default tree (the identity actor). */
  async function startNode(dataDir: string, identity: NodeConfigInput['identity'] = {}, host: 'worker' | 'inline' = 'worker'): Promise<X0tta6bl4Node> {
    const config = parseNodeConfig({ dataDir, identity, mape: { enabled: false } });
    const security = defaultTree(config).children.find((child) => child.id === 'security') as SupervisorSpec;
    const node = createNode({
      config: { dataDir, identity, mape: { enabled: false }, actorHosts: { identity: host } },
      logger: pino({ level: 'silent' }),
      tree: { kind: 'supervisor', id: 'root', strategy: 'one_for_one', children: [security] },
    });
    await node.start();
    cleanups.push(() => node.stop());
    return node;
  }

  const identityOf = async (node: X0tta6bl4Node): Promise<IdentityStatus | undefined> => (await node.status()).identity;

  it.each(['worker', 'inline'] as const)('runs the embedded trust domain by default (%s host): a CA in the data directory, the node\'s SVID, status ready', async (host) => {
    const dataDir = tempDir();
    const node = await startNode(dataDir, { trustDomain: 'mesh.test', spiffeId: 'spiffe://mesh.test/node/one' }, host);
    const ready = await waitFor(async () => {
      const identity = await identityOf(node);
      return identity?.status === 'ready' ? identity : undefined;
    }, 15_000, 'the identity to be ready');
    expect(ready).toMatchObject({ mode: 'embedded', spiffeId: 'spiffe://mesh.test/node/one', trustDomain: 'mesh.test', updates: 1, rejected: 0 });
    expect(ready.expiresAt! - Date.now()).toBeGreaterThan(50 * 60_000);
    expect(existsSync(join(dataDir, 'identity', 'ca.pem'))).toBe(true);
  });

  it('keeps the embedded CA across restarts, refuses one of another trust domain, and reports the failure in status', async () => {
    const dataDir = tempDir();
    const first = await startNode(dataDir, { trustDomain: 'mesh.test' }, 'inline');
    const ready = await waitFor(async () => ((await identityOf(first))?.status === 'ready' ? identityOf(first) : undefined), 15_000, 'ready');
    expect(ready!.spiffeId).toMatch(/^spiffe:\/\/mesh\.test\/node\//);
    await first.stop();
    const second = await startNode(dataDir, { trustDomain: 'other.test' }, 'inline');
    const failed = await waitFor(async () => ((await identityOf(second))?.status === 'failed' ? identityOf(second) : undefined), 15_000, 'failed');
    expect(failed!.reason).toContain("is for trust domain 'mesh.test', the configuration says 'other.test'");
  });

  it('waits, saying why, while the agent is absent, and while it has no identity for the node; then becomes ready', async () => {
    const dataDir = tempDir();
    const socket = join(dataDir, 'agent.sock');
    const node = await startNode(dataDir, { agentSocket: `unix://${socket}` });
    const absent = await waitFor(async () => {
      const identity = await identityOf(node);
      return identity?.status === 'waiting' ? identity : undefined;
    }, 15_000, 'waiting for an absent agent');
    expect(absent).toMatchObject({ mode: 'agent', endpoint: `unix://${socket}` });
    expect(absent.reason).toMatch(/^UNAVAILABLE/);

    // The agent comes up, without an identity for this workload yet.
    const ca = await createTrustDomainCa('agent.test', { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) });
    const real = await createEmbeddedSvidSource({ ca, spiffeId: parseSpiffeId('spiffe://agent.test/node/x') });
    cleanups.push(() => real.stop());
    let registered = false;
    const listeners = new Set<() => void>();
    const source: X509SvidSource = {
      current: () => (registered ? real.current() : undefined),
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const server = await startWorkloadApiServer({ socketPath: socket, source });
    cleanups.push(() => server.close());
    const denied = await waitFor(async () => {
      const identity = await identityOf(node);
      return identity?.status === 'waiting' && identity.reason?.startsWith('PERMISSION_DENIED') ? identity : undefined;
    }, 15_000, 'waiting for a registration');
    expect(denied.reason).toContain('no identity issued');

    registered = true;
    const ready = await waitFor(async () => {
      const identity = await identityOf(node);
      return identity?.status === 'ready' ? identity : undefined;
    }, 15_000, 'the identity to be ready');
    expect(ready.spiffeId).toBe('spiffe://agent.test/node/x');
  });

  it('refuses an agent address the Workload Endpoint standard does not allow, as configuration', () => {
    expect(() => parseNodeConfig({ identity: { agentSocket: 'unix://relative/agent.sock' } })).toThrow(ConfigError);
    expect(() => parseNodeConfig({ identity: { agentSocket: 'tcp://localhost:8081' } })).toThrow(/identity\.agentSocket: .*host must be an IP address/);
  });
});
