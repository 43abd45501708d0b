/**
 * What an attack test makes (temporary data directories, peers in the test process) and takes
 * down after each test, with every node process it started, also when the test failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { PeerLinks } from '../../actors/peer-link/peer-links.js';
import { reapAll } from './node-process.js';

export interface AttackScene {
  tempDir(): string;
  track(links: PeerLinks): PeerLinks;
}

export function attackScene(prefix: string): AttackScene {
  const dirs: string[] = [];
  const peers: PeerLinks[] = [];
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((links) => links.stop()));
    await reapAll();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    tempDir: () => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    track: (links) => {
      peers.push(links);
      return links;
    },
  };
}
