#!/usr/bin/env node
// Source rules that `npm test` enforces (ARCHITECTURE.md §3, §6):
// - no unfinished-work markers in source folders;
// - every row of the layer table (§3): who may import whom, each import resolved to the file it names
//   (scripts/layer-rules.mjs holds the table and its exceptions, scripts/source-imports.mjs the parsing).
// Usage: node scripts/check-source.mjs [ROOT]  (exit 1 and one line per violation when broken)
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { LAYER_EXCEPTIONS, MACHINE_LOADS_RULE, impureLoad, layerRule, simulationOnlyRule } from './layer-rules.mjs';
import { sourceImports } from './source-imports.mjs';
import { filesUnder } from './files-under.mjs';

const root = process.argv[2] ?? process.cwd();
const SOURCE_DIRS = ['actors', 'machines', 'lib', 'store', 'cli', 'native', 'ebpf', 'perf', 'deploy', 'scripts', 'examples'];
const SOURCE_FILE = /\.(ts|mts|cts|js|mjs|cjs|c|cc|h|sh)$/;
const SCRIPT_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const MARKER = new RegExp(['TO' + 'DO', 'FIX' + 'ME', 'X' + 'XX', 'HA' + 'CK'].map((word) => `\\b${word}\\b`).join('|'));

// Build output, dependencies and dot folders are not source.
const notSource = (entry) => entry === 'node_modules' || entry === 'dist' || entry.startsWith('.');
function* files(dir) {
  for (const path of filesUnder(dir, notSource)) if (SOURCE_FILE.test(path)) yield path;
}

const describe = (target) => (target.kind === 'path' ? target.path : target.kind === 'builtin' ? 'Node built-in' : `npm package ${target.name}`);
// An exception's target may hold `*` for one path segment (any subsystem's folder).
const segmentGlob = (pattern) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`);
const allowList = LAYER_EXCEPTIONS.map((entry) => ({ ...entry, matches: segmentGlob(entry.target), used: false }));

const violations = [];
const importsByFile = new Map();
for (const dir of SOURCE_DIRS) {
  for (const file of files(join(root, dir))) {
    const text = readFileSync(file, 'utf8');
    const name = relative(root, file).split(sep).join('/');
    text.split('\n').forEach((line, index) => {
      if (MARKER.test(line)) violations.push(`${name}:${index + 1}: unfinished-work marker: ${line.trim()}`);
    });
    const layer = layerRule(name);
    if (layer === undefined || !SCRIPT_FILE.test(name)) continue;
    const imports = sourceImports(root, file, text);
    importsByFile.set(name, imports);
    for (const { spec, line, target } of imports) {
      const simulationOnly = target.kind === 'path' ? simulationOnlyRule(name, target.path) : undefined;
      if (simulationOnly !== undefined) violations.push(`${name}:${line}: ${simulationOnly}: imports '${spec}'`);
      if (layer.allows(target)) continue;
      const allowed = allowList.find((entry) => entry.file === name && entry.matches.test(describe(target)));
      if (allowed) allowed.used = true;
      else violations.push(`${name}:${line}: ${layer.rule}: imports '${spec}' (${describe(target)})`);
    }
  }
}
for (const [name, imports] of importsByFile) {
  if (!name.startsWith('machines/')) continue;
  for (const { spec, line, target, typeOnly } of imports) {
    if (typeOnly || target.kind !== 'path' || !target.path.startsWith('lib/')) continue;
    const chain = impureLoad(importsByFile, target.path);
    if (chain !== undefined) violations.push(`${name}:${line}: ${MACHINE_LOADS_RULE}: imports '${spec}' (${[target.path, ...chain].join(' → ')})`);
  }
}
for (const entry of allowList) {
  if (!entry.used && existsSync(join(root, entry.file))) violations.push(`${entry.file}: allow-listed import of ${entry.target} is gone: remove the entry from scripts/layer-rules.mjs`);
}

if (violations.length > 0) {
  for (const violation of violations) console.error(violation);
  console.error(`check-source: ${violations.length} violation(s)`);
  process.exit(1);
}
console.log('check-source: ok');
