/** The README's API example runs as shown, and the README shows the example files as they are. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('README example', () => {
  it('runs and keeps its state across the crash', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-example-'));
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'examples/hello-node.mjs'), dataDir], { timeout: 30_000 });
    expect(stdout).toContain('total { total: 5050 }');
    expect(stdout).toContain('total after crash { total: 5050 }');
    expect(stdout).toContain('restarts 1');
  });

  it('is shown in the README verbatim', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const file of ['examples/adder-actor.mjs', 'examples/hello-node.mjs']) {
      expect(readme).toContain(readFileSync(join(ROOT, file), 'utf8'));
    }
  });
});
