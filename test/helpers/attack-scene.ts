/**
 * What an attack test makes (temporary data directories, peers in the test process) and takes
 * down after each test, with every node process it started, also when the test failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { PeerLinks } from '../../actors/peer-link/peer-links.js';
import type { TrustDomainCa } from '../../lib/spiffe/svid-issuer.js';
import { dialingPeer, linkUp } from './linked-peer.js';
import { reapAll } from './node-process.js';

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
    linkedPeer: (ca, spiffeId, node, timeoutMs) => linkUp(track(dialingPeer(node)), ca, spiffeId, timeoutMs),
    tempDir: () => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
}
