/** The source rules `npm test` enforces: they must catch what they are for. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../scripts/check-source.mjs', import.meta.url));
let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function check(files: Record<string, string>): { code: number; output: string } {
  root = mkdtempSync(join(tmpdir(), 'x0tta6bl4-check-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  try {
    return { code: 0, output: execFileSync(process.execPath, [SCRIPT, root], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (error) {
    const failed = error as { status: number; stderr: string };
    return { code: failed.status, output: failed.stderr };
  }
}

const marker = ['TO', 'DO'].join('');

describe('check-source', () => {
  it('passes a clean tree', () => {
    expect(check({ 'machines/a.ts': "import { setup } from 'xstate';\n", 'actors/x/worker.ts': "import { readFileSync } from 'node:fs';\n" }).code).toBe(0);
  });

  it('fails on an unfinished-work marker in source', () => {
    const result = check({ 'store/a.ts': `// ${marker}: later\n` });
    expect(result.code).toBe(1);
    expect(result.output).toContain('store/a.ts:1');
  });

  it('fails when machines/ imports Node built-ins or I/O folders', () => {
    const result = check({
      'machines/a.ts': "import { readFileSync } from 'node:fs';\nimport { x } from '../actors/runtime/node.js';\nimport os from 'os';\nimport { y } from '../store/open-store.js';\n",
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain("Node built-in 'node:fs'");
    expect(result.output).toContain("'../actors/runtime/node.js'");
    expect(result.output).toContain("Node built-in 'os'");
    expect(result.output).toContain("'../store/open-store.js'");
  });
});
