/**
 * What an attack test makes (temporary data directories, peers in the test process) and takes
 * down after each test, with every node process it started, also when the test failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { PeerLinks } from '../../actors/peer-link/peer-links.js';
import { parseHostPort } from '../../lib/net/host-port.js';
import type { TrustDomainCa } from '../../lib/spiffe/svid-issuer.js';
import { nodeCredentials } from './node-credentials.js';
import { reapAll } from './node-process.js';
import { untilValue } from './wait.js';

export interface AttackScene {
  tempDir(): string;
  track(links: PeerLinks): PeerLinks;
  /**
   * A peer in this test process with an SVID `spiffeId` from `ca` (admitted by a node's default
   * policy when under /node), linked to the node at `address`: resolves once its link is up.
   */
  linkedPeer(ca: TrustDomainCa, spiffeId: string, node: { address: string; spiffeId: string }, timeoutMs?: number): Promise<PeerLinks>;
}

export function attackScene(prefix: string): AttackScene {
  const dirs: string[] = [];
  const peers: PeerLinks[] = [];
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((links) => links.stop()));
    await reapAll();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const track = (links: PeerLinks) => {
    peers.push(links);
    return links;
  };
  return {
    track,
    async linkedPeer(ca, spiffeId, node, timeoutMs = 20_000) {
      const links = track(
        new PeerLinks({
          peers: [{ address: parseHostPort(node.address), spiffeId: node.spiffeId }],
          authorize: [{ pathPrefix: '/node' }],
          onMessage: () => undefined,
          onState: () => undefined,
        }),
      );
      await links.updateCredentials(await nodeCredentials(ca, spiffeId));
      await untilValue(`${spiffeId}'s link up`, async () => (links.state().links[0]?.status === 'up' ? true : undefined), timeoutMs);
      return links;
    },
    tempDir: () => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
}
