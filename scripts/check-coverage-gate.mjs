#!/usr/bin/env node
// Every glob of the coverage gate (scripts/coverage-gate.mjs) must name files of the build. Vitest
// passes a floor whose glob matches nothing (an empty set counts as fully covered), so a renamed
// folder would silently turn its floor off; this check fails instead, naming the glob:
// - each `include` glob matches a file in dist/;
// - each `exclude` glob matches a file some `include` glob takes in (else it excludes nothing);
// - each threshold key (each alternative of a `{a,b}` key) matches a source file that one of the
//   gated dist files maps back to, as vitest matches it after source-map remapping.
// Matching is vitest's own: picomatch as vitest resolves it, with the options vitest passes.
// Usage: node scripts/check-coverage-gate.mjs [ROOT] [--gate FILE]
//   ROOT holds dist/ (default: the working directory); FILE exports COVERAGE_GATE (default: the one beside this script).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { filesUnder } from './files-under.mjs';

// Keys of vitest's `thresholds` that are settings, not globs.
const THRESHOLD_SETTINGS = new Set(['lines', 'functions', 'branches', 'statements', 'perFile', 'autoUpdate', '100']);

let gateFile = fileURLToPath(new URL('./coverage-gate.mjs', import.meta.url));
let root = process.cwd();
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--gate') gateFile = resolve(process.argv[++i] ?? '');
  else root = resolve(process.argv[i]);
}

const pm = createRequire(fileURLToPath(import.meta.resolve('vitest')))('picomatch');
const { COVERAGE_GATE: gate } = await import(pathToFileURL(gateFile).href);
const slash = (path) => path.split(sep).join('/');

/** The TypeScript sources a compiled file maps back to (its own path when it has no source map). */
function sourcesOf(file) {
  const map = `${file}.map`;
  if (!existsSync(map)) return [slash(relative(root, file))];
  const { sources = [], sourceRoot = '' } = JSON.parse(readFileSync(map, 'utf8'));
  return sources.map((source) => slash(relative(root, resolve(dirname(map), sourceRoot, source))));
}

/** The alternatives of a top-level brace key (`{a,b}` → a, b); any other key is its own one alternative. */
function alternatives(key) {
  const braced = /^\{([^{}]*)\}$/.exec(key);
  return braced ? braced[1].split(',') : [key];
}

const dist = [...filesUnder(join(root, 'dist'))].map(slash);
// As vitest's isIncluded: absolute paths, `contains`, dot files, exclude as `ignore`.
const matches = (file, glob) => pm.isMatch(file, glob, { contains: true, dot: true });
const taken = dist.filter((file) => gate.include.some((glob) => matches(file, glob)));
const gated = taken.filter((file) => !gate.exclude.some((glob) => matches(file, glob)));
const gatedSources = [...new Set(gated.filter((file) => file.endsWith('.js')).flatMap(sourcesOf))];

const problems = [];
for (const glob of gate.include) {
  if (!dist.some((file) => matches(file, glob))) problems.push(`include '${glob}' matches no file in ${slash(relative(process.cwd(), join(root, 'dist'))) || 'dist'}/`);
}
for (const glob of gate.exclude) {
  if (!taken.some((file) => matches(file, glob))) problems.push(`exclude '${glob}' matches no included file: it excludes nothing`);
}
for (const key of Object.keys(gate.thresholds)) {
  if (THRESHOLD_SETTINGS.has(key)) continue;
  for (const glob of alternatives(key)) {
    const matcher = pm(glob);
    if (!gatedSources.some((source) => matcher(source))) {
      problems.push(`threshold '${key}'${glob === key ? '' : ` (its '${glob}')`} matches no gated source: its floor gates nothing`);
    }
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`check-coverage-gate: ${problem}`);
  console.error(`check-coverage-gate: ${problems.length} glob(s) of ${slash(relative(process.cwd(), gateFile))} match nothing`);
  process.exit(1);
}
console.log(`check-coverage-gate: ok (${gate.include.length} include, ${gate.exclude.length} exclude, ${Object.keys(gate.thresholds).length} threshold globs over ${gatedSources.length} gated sources)`);
