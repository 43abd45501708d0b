#!/usr/bin/env node
// The other supported Node.js major than the one running, for the tests that run the post-quantum
// library under both (@oqs/liboqs-js declares Node >= 22; the node supports 20 as well). It comes
// from the npm registry's official binary packages (node-linux-<arch>), unpacked under
// node_modules/.cache, so nothing is fetched from anywhere else.
//   node scripts/other-node.mjs fetch   unpacks it (idempotent; scripts/setup.sh runs this)
//   node scripts/other-node.mjs path    prints the path of its `node` binary
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The other major's version, by the running major. Node 20 users test 22, and everyone else 20 (the oldest supported). */
const OTHER_BY_MAJOR = { 20: '22.23.5' };
const OLDEST_SUPPORTED = '20.20.2';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
const version = OTHER_BY_MAJOR[major] ?? OLDEST_SUPPORTED;
const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
const home = join(root, 'node_modules', '.cache', 'x0tta6bl4-other-node', version);
const binary = join(home, 'bin', 'node');

const command = process.argv[2];
if (command === 'path') {
  console.log(binary);
} else if (command === 'fetch') {
  if (process.platform !== 'linux' || !arch) {
    console.error(`other-node: no node-linux package for ${process.platform}/${process.arch}; the test that needs it will say so`);
    process.exit(0);
  }
  if (!existsSync(binary)) {
    mkdirSync(dirname(home), { recursive: true });
    const work = mkdtempSync(join(dirname(home), 'fetch-'));
    try {
      const name = execFileSync('npm', ['pack', `node-linux-${arch}@${version}`, '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim().split('\n').pop();
      execFileSync('tar', ['-xzf', join(work, name), '-C', work, 'package/bin/node']);
      rmSync(home, { recursive: true, force: true });
      renameSync(join(work, 'package'), home);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    console.log(`other-node: Node.js ${version} for the cross-version tests at ${binary}`);
  }
} else {
  console.error('usage: node scripts/other-node.mjs fetch|path');
  process.exit(2);
}
