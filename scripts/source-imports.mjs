// Every module a source file reaches, found with the TypeScript parser (so comments and strings that
// merely look like imports are not counted) and resolved to the path it really names.
// Used by check-source.mjs to enforce the layer table (ARCHITECTURE.md §3).
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const builtins = new Set(builtinModules);
// The compiled tree mirrors the source tree under dist/ (tsconfig: rootDir ".", outDir "dist"); a
// `new URL(spec, import.meta.url)` is resolved at run time against the compiled file, so it is resolved
// here against dist/<file> and mapped back to the source path.
const OUT_DIR = 'dist';
// A compiled `.js` specifier names the `.ts` source beside it (NodeNext resolution).
const SOURCE_EXTENSION = { '.js': '.ts', '.mjs': '.mts', '.cjs': '.cts' };
// A template literal's `${...}` part: any one name, so `../../${subsystem}/worker.js` reads as actors/*/worker.js.
const ANY_NAME = '*';

/**
 * @typedef {{ kind: 'builtin', name: string } | { kind: 'package', name: string } | { kind: 'path', path: string }} Target
 * @typedef {{ spec: string, line: number, target: Target, typeOnly: boolean }} SourceImport
 * typeOnly: erased from the compiled code, so nothing is loaded at run time. Under verbatimModuleSyntax
 * that is `import type` / `export type` and `import('…')` in a type; `import { type A }` still loads.
 */

/** @returns {SourceImport[]} every import, re-export, import(), require() and `new URL(…, import.meta.url)` in the file. */
export function sourceImports(root, file, text) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, scriptKind(file));
  const found = [];
  const add = (literal, relativeTo, typeOnly = false) => {
    const spec = literalText(literal);
    if (spec === undefined) return;
    const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1;
    found.push({ spec, line, target: resolveTarget(root, file, spec, relativeTo), typeOnly });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, 'source', node.importClause?.isTypeOnly ?? false);
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) add(node.moduleSpecifier, 'source', node.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression, 'source', node.isTypeOnly);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, 'source', true);
    else if (ts.isCallExpression(node) && isImportOrRequire(node) && node.arguments[0]) add(node.arguments[0], 'source');
    else if (ts.isNewExpression(node) && isUrlFromImportMeta(node)) add(node.arguments[0], 'compiled');
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function scriptKind(file) {
  if (/\.(ts|mts|cts)$/.test(file)) return ts.ScriptKind.TS;
  return ts.ScriptKind.JS;
}

function literalText(node) {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((span) => ANY_NAME + span.literal.text).join('');
  return undefined;
}

function isImportOrRequire(call) {
  return call.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(call.expression) && call.expression.text === 'require');
}

function isUrlFromImportMeta(node) {
  const [spec, base] = node.arguments ?? [];
  return (
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'URL' &&
    spec !== undefined &&
    base !== undefined &&
    ts.isPropertyAccessExpression(base) &&
    ts.isMetaProperty(base.expression) &&
    base.name.text === 'url' &&
    /^\.\.?\//.test(literalText(spec) ?? '')
  );
}

const OWN_PACKAGE = 'x0tta6bl4';
const OWN_PACKAGE_ENTRY = 'actors/runtime/index.ts';

/** @returns {Target} */
function resolveTarget(root, file, spec, relativeTo) {
  if (spec.startsWith('node:')) return { kind: 'builtin', name: spec };
  if (!spec.startsWith('.') && !spec.startsWith('/')) {
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    // The project's own package name is its API (package.json "exports"), not a third-party package:
    // a layer that may not import the runtime may not reach it that way either.
    if (name === OWN_PACKAGE) return { kind: 'path', path: OWN_PACKAGE_ENTRY };
    return builtins.has(name) ? { kind: 'builtin', name: spec } : { kind: 'package', name };
  }
  const fromFile = relativeTo === 'compiled' ? join(root, OUT_DIR, relative(root, file)) : file;
  let absolute = resolve(dirname(fromFile), spec);
  const compiledRoot = join(root, OUT_DIR) + sep;
  if (relativeTo === 'compiled' && absolute.startsWith(compiledRoot)) absolute = join(root, absolute.slice(compiledRoot.length));
  return { kind: 'path', path: toSourcePath(root, relative(root, absolute)) };
}

/** Root-relative, `/`-separated, the `.js` specifier mapped to its `.ts` source unless only the `.js` file exists. */
function toSourcePath(root, path) {
  const posix = path.split(sep).join('/');
  const extension = Object.keys(SOURCE_EXTENSION).find((ext) => posix.endsWith(ext));
  if (extension === undefined) return posix;
  const source = posix.slice(0, -extension.length) + SOURCE_EXTENSION[extension];
  return existsSync(join(root, posix)) && !existsSync(join(root, source)) ? posix : source;
}
