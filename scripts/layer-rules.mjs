// The layer table of ARCHITECTURE.md §3 as code: which folder may import what. Each rule is a list of
// what is allowed (anything else is a violation), so a new folder or package is refused until the map
// says it may be used. perf/ and test/ may import everything; ebpf/ is C and deploy/ is configuration.

/** @typedef {import('./source-imports.mjs').Target} Target */

const under = (path, folder) => path === folder || path.startsWith(`${folder}/`);
const isPath = (target, ...folders) => target.kind === 'path' && folders.some((folder) => under(target.path, folder));
const notOurs = (target) => target.kind !== 'path';

// The package API: what the CLI (and any embedder) may use of the runtime.
const PACKAGE_API = 'actors/runtime/index.ts';
// A subsystem's worker may use these runtime folders and no other (the rest is the host's side).
const SUBSYSTEM_RUNTIME_FOLDERS = ['actors/runtime/contracts', 'actors/runtime/actor-kit'];

/** @typedef {{ rule: string, allows: (target: Target) => boolean }} LayerRule */

/** @type {Record<string, LayerRule>} one entry per row of the table, keyed by folder. */
const TABLE = {
  machines: {
    // Machines are pure (XState delays instead of timers, ports instead of I/O), so no Node built-in
    // and no package but xstate; domain types come from lib/ or from machines/ itself.
    rule: 'machines/ imports only xstate, lib/ and machines/',
    allows: (target) => (target.kind === 'package' && target.name === 'xstate') || isPath(target, 'lib', 'machines'),
  },
  lib: {
    rule: 'lib/ imports only lib/, npm packages and Node built-ins',
    allows: (target) => notOurs(target) || isPath(target, 'lib'),
  },
  store: {
    // The map gives store/ better-sqlite3 only (plus node:fs/node:path to create the database's
    // folder). store/ imports nothing of lib/ today, not even types, so none is allowed: a row type
    // store/ needs is declared in store/, and lib/ or the actors map it to their own types.
    rule: 'store/ imports only better-sqlite3, Node built-ins and store/',
    allows: (target) => target.kind === 'builtin' || (target.kind === 'package' && target.name === 'better-sqlite3') || isPath(target, 'store'),
  },
  native: {
    rule: 'native/ imports nothing of ours',
    allows: (target) => notOurs(target) || isPath(target, 'native'),
  },
  cli: {
    // store/ is allowed for the read-only commands (incidents); read-only use cannot be checked here.
    rule: `cli/ imports only the package API (${PACKAGE_API}), lib/, store/ and cli/`,
    allows: (target) => notOurs(target) || isPath(target, PACKAGE_API, 'lib', 'store', 'cli'),
  },
  'actors/runtime': {
    rule: 'actors/runtime/ imports only machines/, lib/, store/ and actors/runtime/',
    allows: (target) => notOurs(target) || isPath(target, 'machines', 'lib', 'store', 'actors/runtime'),
  },
};

/** Any other folder under actors/ is a subsystem: they talk over the bus only, code two of them need goes to lib/. */
const subsystemRule = (name) => ({
  rule: `actors/<subsystem>/ imports only its own folder, ${SUBSYSTEM_RUNTIME_FOLDERS.map((folder) => `${folder}/`).join(', ')}, machines/, lib/, store/ and native/`,
  allows: (target) => notOurs(target) || isPath(target, `actors/${name}`, ...SUBSYSTEM_RUNTIME_FOLDERS, 'machines', 'lib', 'store', 'native'),
});

/**
 * The rule for a root-relative source path, or undefined when none applies to it (perf/, test/, scripts/…).
 * @returns {LayerRule | undefined}
 */
export function layerRule(path) {
  const [top = '', second] = path.split('/');
  if (top !== 'actors') return Object.hasOwn(TABLE, top) ? TABLE[top] : undefined;
  if (second === undefined || second.includes('.')) return undefined;
  return second === 'runtime' ? TABLE['actors/runtime'] : subsystemRule(second);
}

/**
 * A machine is pure only if what it loads is: the lib/ modules a machine imports (not `import type`)
 * must load, all the way down, nothing but lib/ and xstate. Checked apart from the table because it
 * needs every lib/ file's imports first.
 */
export const MACHINE_LOADS_RULE = 'machines/ loads only pure lib/ modules (no Node built-in, no package but xstate, nothing outside lib/)';

/**
 * The chain from a module to the first impure thing it loads at run time, or undefined when it loads
 * only pure code.
 * @param {Map<string, import('./source-imports.mjs').SourceImport[]>} importsByFile keyed by root-relative path
 * @returns {string[] | undefined}
 */
export function impureLoad(importsByFile, path, seen = new Set()) {
  if (seen.has(path)) return undefined;
  seen.add(path);
  for (const { target, typeOnly } of importsByFile.get(path) ?? []) {
    if (typeOnly) continue;
    if (target.kind !== 'path') {
      if (!TABLE.machines.allows(target)) return [target.kind === 'builtin' ? target.name : `npm package ${target.name}`];
      continue;
    }
    if (!isPath(target, 'lib')) return [target.path];
    const rest = impureLoad(importsByFile, target.path, seen);
    if (rest !== undefined) return [target.path, ...rest];
  }
  return undefined;
}

/**
 * Lasting exceptions to the table, each with the reason it is right. An entry names the importing file
 * and the resolved target exactly as check-source prints it.
 */
export const LAYER_EXCEPTIONS = [
  {
    // The node's default supervision tree names each subsystem's worker module by URL so the host can
    // load it in its own thread; the runtime never imports a subsystem's code. This is the one place
    // that knows which subsystems a node runs.
    file: 'actors/runtime/config/default-tree.ts',
    target: 'actors/*/worker.ts',
  },
  {
    // What each subsystem contributes to the node's standing (status lines, readiness, metrics) is
    // registered here, one line per subsystem, beside the default tree: the one other place that
    // knows which subsystems a node runs. The rest of the runtime sees only the SubsystemStanding contract.
    file: 'actors/runtime/config/subsystem-standings.ts',
    target: 'actors/*/status-format.ts',
  },
  {
    file: 'actors/runtime/config/subsystem-standings.ts',
    target: 'actors/*/metrics.ts',
  },
];

/**
 * Code only the deterministic simulation may load, and who may import it: the simulation's nodes
 * (actors/peer-link/sim/), and the tests and benchmarks that run them (test/ and perf/ have no layer
 * rule, so they are not checked). The stand-in signer is no signature scheme (lib/sim/stand-in-signer.ts):
 * the node must never load it, and a node module that imported the simulation would load it too.
 */
export const SIMULATION_ONLY = [
  { target: 'lib/sim/stand-in-signer.ts', importers: ['actors/peer-link/sim/'] },
  { target: 'actors/peer-link/sim/', importers: ['actors/peer-link/sim/'] },
];

/** The rule a source file breaks by importing `targetPath`, or undefined. */
export function simulationOnlyRule(file, targetPath) {
  for (const { target, importers } of SIMULATION_ONLY) {
    const matches = target.endsWith('/') ? targetPath.startsWith(target) : targetPath === target;
    if (matches && !importers.some((prefix) => file.startsWith(prefix))) return `${target} is the simulation's only (imported from ${importers.join(', ')}, tests and benchmarks)`;
  }
  return undefined;
}
