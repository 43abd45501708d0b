#!/usr/bin/env node
// Source rules that `npm test` enforces (ARCHITECTURE.md §3, §6):
// - no unfinished-work markers in source folders;
// - machines/ stays pure: no Node built-ins, no actors/, store/ or native/ imports.
// Usage: node scripts/check-source.mjs [ROOT]  (exit 1 and one line per violation when broken)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

const root = process.argv[2] ?? process.cwd();
const SOURCE_DIRS = ['actors', 'machines', 'lib', 'store', 'cli', 'native', 'ebpf', 'perf', 'deploy', 'scripts', 'examples'];
const SOURCE_FILE = /\.(ts|mts|cts|js|mjs|c|cc|h|sh)$/;
const MARKER = new RegExp(['TO' + 'DO', 'FIX' + 'ME', 'X' + 'XX', 'HA' + 'CK'].map((word) => `\\b${word}\\b`).join('|'));
const IMPORT = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g;
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const FORBIDDEN_FOR_MACHINES = /(^|\/)(actors|store|native)(\/|$)/;

function* files(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (SOURCE_FILE.test(entry)) yield path;
  }
}

const violations = [];
for (const dir of SOURCE_DIRS) {
  for (const file of files(join(root, dir))) {
    const text = readFileSync(file, 'utf8');
    const name = relative(root, file);
    text.split('\n').forEach((line, index) => {
      if (MARKER.test(line)) violations.push(`${name}:${index + 1}: unfinished-work marker: ${line.trim()}`);
    });
    if (dir !== 'machines') continue;
    for (const match of text.matchAll(IMPORT)) {
      const target = match[1];
      if (builtins.has(target) || target.startsWith('node:')) violations.push(`${name}: machines/ must not import Node built-in '${target}'`);
      else if (target.startsWith('.') && FORBIDDEN_FOR_MACHINES.test(target)) violations.push(`${name}: machines/ must not import '${target}' (I/O belongs in actors/)`);
    }
  }
}

if (violations.length > 0) {
  for (const violation of violations) console.error(violation);
  console.error(`check-source: ${violations.length} violation(s)`);
  process.exit(1);
}
console.log('check-source: ok');
