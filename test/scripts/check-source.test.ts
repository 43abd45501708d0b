/** The source rules `npm test` enforces: they must catch what they are for, and only that. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(REPO, 'scripts/check-source.mjs');
let root: string | undefined;
afterEach(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function run(dir: string): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (error) {
    const failed = error as { status: number; stderr: string };
    return { code: failed.status, output: failed.stderr };
  }
}

/** Runs the script on a tree made of exactly these files. */
function check(files: Record<string, string>): { code: number; output: string } {
  root = mkdtempSync(join(tmpdir(), 'x0tta6bl4-check-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return run(root);
}

/** The `file:line: …` violations of the output (the last line is their count). */
const violationLines = (output: string): string[] => output.split('\n').filter((line) => /^\S+:\d+: /.test(line));

/** Runs the script on a tree made of exactly these files: its exit code and the violations it printed. */
function violations(files: Record<string, string>): { code: number; lines: string[] } {
  const { code, output } = check(files);
  return { code, lines: violationLines(output) };
}

const marker = ['TO', 'DO'].join('');
const RULE = {
  machines: 'machines/ imports only xstate, lib/ and machines/',
  machinesLoad: 'machines/ loads only pure lib/ modules (no Node built-in, no package but xstate, nothing outside lib/)',
  lib: 'lib/ imports only lib/, npm packages and Node built-ins',
  store: 'store/ imports only better-sqlite3, Node built-ins and store/',
  native: 'native/ imports nothing of ours',
  runtime: 'actors/runtime/ imports only machines/, lib/, store/ and actors/runtime/',
  subsystem:
    'actors/<subsystem>/ imports only its own folder, actors/runtime/contracts/, actors/runtime/actor-kit/, machines/, lib/, store/ and native/',
  cli: 'cli/ imports only the package API (actors/runtime/index.ts), lib/, store/ and cli/',
};

describe('check-source', () => {
  it('passes the real tree', () => {
    expect(run(REPO)).toEqual({ code: 0, output: 'check-source: ok\n' });
  });

  it('finds a violation planted in each layer of a copy of the real tree, and nothing else', () => {
    root = mkdtempSync(join(tmpdir(), 'x0tta6bl4-check-'));
    for (const dir of ['actors', 'machines', 'lib', 'store', 'cli', 'native']) cpSync(join(REPO, dir), join(root, dir), { recursive: true });
    const plants: [file: string, spec: string, rule: string, target: string][] = [
      ['machines/peer-link.ts', 'node:fs', RULE.machines, 'Node built-in'],
      ['lib/net/host-port.ts', '../../actors/runtime/node.js', RULE.lib, 'actors/runtime/node.ts'],
      ['store/incidents.ts', '../lib/mape/plan.js', RULE.store, 'lib/mape/plan.ts'],
      ['actors/runtime/bus/bus-router.ts', '../../identity/worker.js', RULE.runtime, 'actors/identity/worker.ts'],
      ['actors/monitor/worker.ts', '../runtime/bus/bus-router.js', RULE.subsystem, 'actors/runtime/bus/bus-router.ts'],
      ['cli/status-command.ts', '../actors/runtime/bus/bus-router.js', RULE.cli, 'actors/runtime/bus/bus-router.ts'],
    ];
    const expected = plants.map(([file, spec, rule, target]) => {
      const text = readFileSync(join(root!, file), 'utf8');
      writeFileSync(join(root!, file), `${text}import '${spec}';\n`);
      return `${file}:${text.split('\n').length}: ${rule}: imports '${spec}' (${target})`;
    });
    const { code, output } = run(root);
    expect(code).toBe(1);
    expect(violationLines(output).sort()).toEqual(expected.sort());
  });

  it('passes what each layer may import', () => {
    const result = check({
      'machines/a.ts': "import { setup } from 'xstate';\nimport type { T } from '../lib/mape/plan.js';\nimport { b } from './b.js';\n",
      'machines/b.ts': "export const b = 1;\n",
      'lib/mape/plan.ts': "import { x } from '../spiffe/x.js';\nimport { z } from 'zod';\nimport { readFileSync } from 'node:fs';\n",
      'lib/spiffe/x.ts': "const PROTO = new URL('../../../lib/spiffe/w.proto', import.meta.url);\n",
      'store/open-store.ts': "import Sqlite from 'better-sqlite3';\nimport { dirname } from 'node:path';\nimport type { M } from './migrations/index.js';\n",
      'native/ts/index.ts': "import { createRequire } from 'node:module';\nimport { e } from './errors.js';\n",
      'actors/runtime/node.ts':
        "import { m } from '../../machines/a.js';\nimport { l } from '../../lib/mape/plan.js';\nimport { s } from '../../store/open-store.js';\nimport { h } from './host/inline-host.js';\nimport { z } from 'zod';\n",
      'actors/runtime/host/spare-worker.ts': "const ENTRY = new URL('./worker/worker-entry.js', import.meta.url);\n",
      'actors/runtime/config/default-tree.ts': 'const actorModule = (name: string): string => new URL(`../../${name}/worker.js`, import.meta.url).href;\n',
      'actors/monitor/worker.ts':
        "import type { ActorModule } from '../runtime/contracts/actor.js';\nimport { storeActor } from '../runtime/actor-kit/store-actor.js';\nimport { m } from '../../machines/monitor.js';\nimport { l } from '../../lib/mape/plan.js';\nimport { s } from '../../store/samples.js';\nimport { n } from '../../native/ts/index.js';\nimport { f } from './format.js';\nimport { readFileSync } from 'node:fs';\nconst PROTO = new URL('../../../actors/monitor/m.proto', import.meta.url);\n",
      'cli/voter-command.ts': "import { createNode } from '../actors/runtime/index.js';\nimport { l } from '../lib/mape/plan.js';\nimport { s } from '../store/open-store.js';\nimport { u } from './usage-error.js';\nimport { Command } from 'commander';\n",
      'perf/run.ts': "import { x } from '../actors/runtime/bus/bus-router.js';\nimport { y } from '../actors/monitor/worker.js';\n",
      'test/a.test.ts': "import { x } from '../actors/runtime/host/worker-host.js';\nimport { y } from '../cli/run-node.js';\n",
    });
    expect(result).toEqual({ code: 0, output: 'check-source: ok\n' });
  });

  it('fails on an unfinished-work marker in source', () => {
    const result = check({ 'store/a.ts': `// ${marker}: later\n` });
    expect(result.code).toBe(1);
    expect(result.output).toContain('store/a.ts:1');
  });

  it('machines/: no Node built-ins, no I/O folders, no package but xstate', () => {
    expect(violations({
      'machines/a.ts':
        "import { readFileSync } from 'node:fs';\nimport { x } from '../actors/runtime/node.js';\nimport os from 'os';\nimport { y } from '../store/open-store.js';\nimport { z } from 'zod';\nimport { n } from '../native/ts/index.js';\n",
    })).toEqual({
      code: 1,
      lines: [
        `machines/a.ts:1: ${RULE.machines}: imports 'node:fs' (Node built-in)`,
        `machines/a.ts:2: ${RULE.machines}: imports '../actors/runtime/node.js' (actors/runtime/node.ts)`,
        `machines/a.ts:3: ${RULE.machines}: imports 'os' (Node built-in)`,
        `machines/a.ts:4: ${RULE.machines}: imports '../store/open-store.js' (store/open-store.ts)`,
        `machines/a.ts:5: ${RULE.machines}: imports 'zod' (npm package zod)`,
        `machines/a.ts:6: ${RULE.machines}: imports '../native/ts/index.js' (native/ts/index.ts)`,
      ],
    });
  });

  it('machines/: what a machine loads through lib/ is pure too, types aside', () => {
    const loads = RULE.machinesLoad;
    expect(
      violations({
        'machines/a.ts':
          "import type { Svid } from '../lib/spiffe/svid.js';\nimport { check } from '../lib/spiffe/check.js';\nimport { parse } from '../lib/mape/parse.js';\nimport { plan } from '../lib/mape/plan.js';\n",
        'lib/spiffe/svid.ts': "import { X509Certificate } from 'node:crypto';\n",
        'lib/spiffe/check.ts': "import { type Svid, fingerprint } from './svid.js';\n",
        'lib/mape/parse.ts': "import { z } from 'zod';\n",
        'lib/mape/plan.ts': "import type { Svid } from '../spiffe/svid.js';\nimport { parse } from './parse-types.js';\n",
        'lib/mape/parse-types.ts': "export type { Parsed } from './parse.js';\n",
      }),
    ).toEqual({
      code: 1,
      lines: [
        `machines/a.ts:2: ${loads}: imports '../lib/spiffe/check.js' (lib/spiffe/check.ts → lib/spiffe/svid.ts → node:crypto)`,
        `machines/a.ts:3: ${loads}: imports '../lib/mape/parse.js' (lib/mape/parse.ts → npm package zod)`,
      ],
    });
  });

  it('lib/: nothing above it', () => {
    const { code, lines } = violations({
      'lib/mesh/a.ts':
        "import { x } from '../../actors/runtime/node.js';\nimport { y } from '../../store/open-store.js';\nimport { m } from '../../machines/peer-link.js';\nimport { c } from '../../cli/main.js';\nimport { n } from '../../native/ts/index.js';\nimport { p } from '../../perf/run.js';\nimport { t } from '../../test/helpers/wait.js';\n",
    });
    expect(code).toBe(1);
    expect(lines.map((line) => line.replace(/: imports .*/, ''))).toEqual([1, 2, 3, 4, 5, 6, 7].map((line) => `lib/mesh/a.ts:${line}: ${RULE.lib}`));
  });

  it('store/: better-sqlite3, Node built-ins and itself only', () => {
    expect(violations({
      'store/incidents.ts': "import type { Plan } from '../lib/mape/plan.js';\nimport { x } from '../actors/runtime/node.js';\nimport { z } from 'zod';\nimport { m } from '../machines/planner.js';\n",
    })).toEqual({
      code: 1,
      lines: [
        `store/incidents.ts:1: ${RULE.store}: imports '../lib/mape/plan.js' (lib/mape/plan.ts)`,
        `store/incidents.ts:2: ${RULE.store}: imports '../actors/runtime/node.js' (actors/runtime/node.ts)`,
        `store/incidents.ts:3: ${RULE.store}: imports 'zod' (npm package zod)`,
        `store/incidents.ts:4: ${RULE.store}: imports '../machines/planner.js' (machines/planner.ts)`,
      ],
    });
  });

  it('native/: nothing of ours', () => {
    expect(violations({ 'native/ts/index.ts': "import { createRequire } from 'node:module';\nimport { l } from '../../lib/mesh/links-state.js';\n" })).toEqual({
      code: 1,
      lines: [
        `native/ts/index.ts:2: ${RULE.native}: imports '../../lib/mesh/links-state.js' (lib/mesh/links-state.ts)`,
      ],
    });
  });

  it('actors/runtime/: no subsystem, no native/, no cli/', () => {
    expect(violations({
      'actors/runtime/bus/bus-router.ts':
        "import { x } from '../../identity/embedded-agent.js';\nimport { n } from '../../../native/ts/index.js';\nimport { c } from '../../../cli/run-node.js';\nconst W = new URL('../../monitor/worker.js', import.meta.url);\n",
    })).toEqual({
      code: 1,
      lines: [
        `actors/runtime/bus/bus-router.ts:1: ${RULE.runtime}: imports '../../identity/embedded-agent.js' (actors/identity/embedded-agent.ts)`,
        `actors/runtime/bus/bus-router.ts:2: ${RULE.runtime}: imports '../../../native/ts/index.js' (native/ts/index.ts)`,
        `actors/runtime/bus/bus-router.ts:3: ${RULE.runtime}: imports '../../../cli/run-node.js' (cli/run-node.ts)`,
        `actors/runtime/bus/bus-router.ts:4: ${RULE.runtime}: imports '../../monitor/worker.js' (actors/monitor/worker.ts)`,
      ],
    });
  });

  it('actors/runtime/: naming subsystem workers by URL is allowed only in the default tree', () => {
    const tree = 'const actorModule = (name: string): string => new URL(`../../${name}/worker.js`, import.meta.url).href;\n';
    expect(violations({ 'actors/runtime/config/default-tree.ts': tree, 'actors/runtime/config/other-tree.ts': tree })).toEqual({
      code: 1,
      lines: [
        `actors/runtime/config/other-tree.ts:1: ${RULE.runtime}: imports '../../*/worker.js' (actors/*/worker.ts)`,
      ],
    });
  });

  it('a subsystem: no other subsystem, no runtime folder but contracts/ and actor-kit/', () => {
    expect(violations({
      'actors/voter/worker.ts':
        "import { x } from '../identity/embedded-agent.js';\nimport { b } from '../runtime/bus/bus-router.js';\nimport { s } from '../runtime/supervision/supervisor.js';\nimport { n } from '../runtime/node.js';\nimport { c } from '../../cli/main.js';\n",
    })).toEqual({
      code: 1,
      lines: [
        `actors/voter/worker.ts:1: ${RULE.subsystem}: imports '../identity/embedded-agent.js' (actors/identity/embedded-agent.ts)`,
        `actors/voter/worker.ts:2: ${RULE.subsystem}: imports '../runtime/bus/bus-router.js' (actors/runtime/bus/bus-router.ts)`,
        `actors/voter/worker.ts:3: ${RULE.subsystem}: imports '../runtime/supervision/supervisor.js' (actors/runtime/supervision/supervisor.ts)`,
        `actors/voter/worker.ts:4: ${RULE.subsystem}: imports '../runtime/node.js' (actors/runtime/node.ts)`,
        `actors/voter/worker.ts:5: ${RULE.subsystem}: imports '../../cli/main.js' (cli/main.ts)`,
      ],
    });
  });

  it('the simulation only: its stand-in signer and its nodes load nowhere but in the simulation (and tests and benchmarks)', () => {
    const stub = 'export const x = 1;\n';
    expect(violations({
      'lib/sim/stand-in-signer.ts': stub,
      'actors/peer-link/sim/sim-node.ts': "import { x } from '../../../lib/sim/stand-in-signer.js';\n",
      'actors/peer-link/peer-links.ts': "import { x } from './sim/sim-node.js';\n",
      'lib/mesh/sign.ts': "import { x } from '../sim/stand-in-signer.js';\n",
      'test/sim.test.ts': "import { x } from '../lib/sim/stand-in-signer.js';\n",
    })).toEqual({
      code: 1,
      lines: [
        "actors/peer-link/peer-links.ts:1: actors/peer-link/sim/ is the simulation's only (imported from actors/peer-link/sim/, tests and benchmarks): imports './sim/sim-node.js'",
        "lib/mesh/sign.ts:1: lib/sim/stand-in-signer.ts is the simulation's only (imported from actors/peer-link/sim/, tests and benchmarks): imports '../sim/stand-in-signer.js'",
      ],
    });
  });

  it('cli/: the package API, not runtime internals, nor subsystems or machines', () => {
    expect(violations({
      'cli/voter-command.ts':
        "import { createNode } from '../actors/runtime/index.js';\nimport { b } from '../actors/runtime/bus/bus-router.js';\nimport { w } from '../actors/identity/worker.js';\nimport { m } from '../machines/identity.js';\n",
    })).toEqual({
      code: 1,
      lines: [
        `cli/voter-command.ts:2: ${RULE.cli}: imports '../actors/runtime/bus/bus-router.js' (actors/runtime/bus/bus-router.ts)`,
        `cli/voter-command.ts:3: ${RULE.cli}: imports '../actors/identity/worker.js' (actors/identity/worker.ts)`,
        `cli/voter-command.ts:4: ${RULE.cli}: imports '../machines/identity.js' (machines/identity.ts)`,
      ],
    });
  });

  it('the package name is the package API: a layer that may not import the runtime cannot reach it as x0tta6bl4', () => {
    expect(
      violations({
        'lib/net/a.ts': "import { createNode } from 'x0tta6bl4';\n",
        'actors/voter/worker.ts': "import { createNode } from 'x0tta6bl4';\n",
        'cli/voter-command.ts': "import { createNode } from 'x0tta6bl4';\n",
      }),
    ).toEqual({
      code: 1,
      lines: [
        `actors/voter/worker.ts:1: ${RULE.subsystem}: imports 'x0tta6bl4' (actors/runtime/index.ts)`,
        `lib/net/a.ts:1: ${RULE.lib}: imports 'x0tta6bl4' (actors/runtime/index.ts)`,
      ],
    });
  });

  it('a lasting exception passes in its own file only, for any subsystem, and an exception whose import is gone is reported', () => {
    const standings = "import { identity } from '../../identity/status-format.js';\nimport { voter } from '../../voter/metrics.js';\n";
    const result = check({
      'actors/runtime/config/subsystem-standings.ts': standings,
      'actors/runtime/ops/other.ts': "import { identity } from '../../identity/status-format.js';\n",
      'actors/runtime/config/default-tree.ts': 'export const tree = {};\n',
    });
    expect(result.code).toBe(1);
    expect(result.output).not.toContain('actors/runtime/config/subsystem-standings.ts:');
    expect(result.output).toContain(`actors/runtime/ops/other.ts:1: ${RULE.runtime}: imports '../../identity/status-format.js' (actors/identity/status-format.ts)`);
    expect(result.output).toContain('actors/runtime/config/default-tree.ts: allow-listed import of actors/*/worker.ts is gone');
  });

  it('sees every form of import: re-export, import(), require(), import type, URL', () => {
    const { code, lines } = violations({
      'lib/net/a.ts': [
        "export { x } from '../../actors/a/x.js';",
        "export * from '../../actors/a/star.js';",
        "const d = await import('../../actors/a/dynamic.js');",
        "const r = require('../../actors/a/required.cjs');",
        "import e = require('../../actors/a/equals.js');",
        "type T = import('../../actors/a/type.js').T;",
        "const u = new URL('../../../actors/a/worker.js', import.meta.url);",
        "import '../../actors/a/side-effect.js';",
        "import {",
        '  multi,',
        "} from '../../actors/a/multi-line.js';",
      ].join('\n'),
    });
    expect(code).toBe(1);
    expect(lines.map((line) => line.replace(`: ${RULE.lib}: imports `, ' '))).toEqual([
      "lib/net/a.ts:1 '../../actors/a/x.js' (actors/a/x.ts)",
      "lib/net/a.ts:2 '../../actors/a/star.js' (actors/a/star.ts)",
      "lib/net/a.ts:3 '../../actors/a/dynamic.js' (actors/a/dynamic.ts)",
      "lib/net/a.ts:4 '../../actors/a/required.cjs' (actors/a/required.cts)",
      "lib/net/a.ts:5 '../../actors/a/equals.js' (actors/a/equals.ts)",
      "lib/net/a.ts:6 '../../actors/a/type.js' (actors/a/type.ts)",
      "lib/net/a.ts:7 '../../../actors/a/worker.js' (actors/a/worker.ts)",
      "lib/net/a.ts:8 '../../actors/a/side-effect.js' (actors/a/side-effect.ts)",
      "lib/net/a.ts:11 '../../actors/a/multi-line.js' (actors/a/multi-line.ts)",
    ]);
  });

  it('resolves specifiers to their real target, not by the words in them', () => {
    expect(violations({
      // `./actors/…` inside lib/ stays in lib/; a comment or string that reads like an import is no import.
      'lib/mesh/a.ts': "import { x } from './actors/x.js';\n// import { y } from '../../actors/runtime/node.js';\nconst s = \"from '../../store/a.js'\";\n",
      // `../lib/../store/x.js` from machines/ lands in store/ although it names lib/.
      'machines/a.ts': "import { x } from '../lib/../store/x.js';\n",
      // a .js file that exists is the target itself, not a .ts beside it
      'actors/runtime/a.ts': "import { x } from '../b/legacy.js';\n",
      'actors/b/legacy.js': 'export const x = 1;\n',
    })).toEqual({
      code: 1,
      lines: [
        `actors/runtime/a.ts:1: ${RULE.runtime}: imports '../b/legacy.js' (actors/b/legacy.js)`,
        `machines/a.ts:1: ${RULE.machines}: imports '../lib/../store/x.js' (store/x.ts)`,
      ],
    });
  });
});
