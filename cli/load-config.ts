/**
 * Builds the node's configuration from its three sources, lowest precedence first: a config
 * file (JSON or YAML), `X0TTA6BL4_*` environment variables, command-line flags. Later sources
 * override earlier ones key by key. Every problem becomes a ConfigError that says where the bad
 * value came from (file and line, variable, flag), because the operator has to fix it there.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, lookupConfigKey, parseNodeConfig, type ConfigIssue, type NodeConfig } from '../actors/runtime/index.js';

/** Environment variables with this prefix configure the node; any other name is ignored. */
export const ENV_PREFIX = 'X0TTA6BL4_';
/** Names the config file when none is given explicitly; it is not itself a config key. */
export const CONFIG_FILE_ENV = 'X0TTA6BL4_CONFIG';
/** Where a SPIRE agent's Workload API listens (SPIFFE Workload Endpoint standard). */
export const SPIFFE_ENDPOINT_ENV = 'SPIFFE_ENDPOINT_SOCKET';
/** Separates nesting levels in a variable name: `X0TTA6BL4_SUPERVISION__INTENSITY` → `supervision.intensity`. */
const ENV_NESTING_SEPARATOR = '__';

export interface LoadConfigOptions {
  /** Config file path (.json, .yaml, .yml); when absent, X0TTA6BL4_CONFIG names it, if set. */
  file?: string;
  env: NodeJS.ProcessEnv;
  /** Config keys from the command line: camelCase names, nested objects or dotted keys (`supervision.intensity`). Undefined values are ignored. */
  flags: Record<string, unknown>;
  /** Base for relative paths (config file, dataDir, controlSocket); defaults to process.cwd(). */
  cwd?: string;
}

type PlainObject = Record<string, unknown>;

/** One source of configuration values, and a way to say where a given key's value came from in it. */
interface Layer {
  values: PlainObject;
  describe(path: readonly string[]): string;
}

export function loadConfig(options: LoadConfigOptions): NodeConfig {
  const cwd = options.cwd ?? process.cwd();
  const fileName = options.file ?? nonEmpty(options.env[CONFIG_FILE_ENV]);
  const layers: Layer[] = [];
  // The SPIFFE Workload Endpoint standard's variable names the agent; anything of ours overrides it.
  const endpoint = nonEmpty(options.env[SPIFFE_ENDPOINT_ENV]);
  if (endpoint !== undefined) {
    layers.push({ values: { identity: { agentSocket: endpoint } }, describe: () => `env ${SPIFFE_ENDPOINT_ENV}` });
  }
  if (fileName !== undefined) layers.push(readConfigFile(resolve(cwd, fileName)));
  layers.push(readEnvironment(options.env));
  layers.push(readFlags(options.flags));

  let merged: PlainObject = {};
  for (const layer of layers) merged = mergeDeep(merged, layer.values);

  const config = parseNodeConfig(merged, {
    sourceOf(key) {
      const path = key === '' ? [] : key.split('.');
      // The value in effect comes from the highest-precedence source that holds the key, or that
      // holds a non-object above it (which replaced everything below).
      for (let i = layers.length - 1; i >= 0; i--) {
        const layer = layers[i];
        if (layer === undefined || path.length === 0) continue;
        if (hasPath(layer.values, path)) return layer.describe(path);
        for (let length = path.length - 1; length > 0; length--) {
          const prefix = path.slice(0, length);
          if (hasPath(layer.values, prefix) && !isPlainObject(getPath(layer.values, prefix))) return layer.describe(prefix);
        }
      }
      return undefined;
    },
  });
  return { ...config, dataDir: resolve(cwd, config.dataDir), controlSocket: resolve(cwd, config.controlSocket) };
}

function readConfigFile(path: string): Layer {
  const kind = extname(path).toLowerCase();
  if (kind !== '.json' && kind !== '.yaml' && kind !== '.yml') {
    throw fileError(`config file ${path} has an unsupported extension: use .json, .yaml or .yml`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw fileError(`cannot read config file ${path}: ${(error as Error).message}`, error);
  }
  return kind === '.json' ? parseJsonFile(path, text) : parseYamlFile(path, text);
}

function parseJsonFile(path: string, text: string): Layer {
  let document: unknown;
  try {
    document = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message;
    // V8 names a position for most syntax errors (not all): turn it into a line and column.
    const position = /at position (\d+)/.exec(reason)?.[1];
    const where = position === undefined ? '' : ` at ${lineAndColumn(text, Number(position))}`;
    throw fileError(`config file ${path} is not valid JSON${where}: ${reason}`, error);
  }
  return { values: expectMapping(path, document), describe: () => `file ${path}` };
}

function parseYamlFile(path: string, text: string): Layer {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const [firstError] = document.errors;
  if (firstError !== undefined) {
    const position = firstError.linePos?.[0];
    const where = position === undefined ? '' : ` at line ${position.line}, column ${position.col}`;
    // yaml's message repeats the position and appends a source excerpt; keep only the reason.
    const reason = (firstError.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw fileError(`config file ${path} is not valid YAML${where}: ${reason}`, firstError);
  }
  let values: unknown;
  try {
    values = document.toJS();
  } catch (error) {
    // yaml refuses to expand an alias bomb here (a ReferenceError), after parsing succeeded.
    throw fileError(`config file ${path} is not usable YAML: ${(error as Error).message}`, error);
  }
  return {
    values: expectMapping(path, values),
    describe(keyPath) {
      const line = yamlKeyLine(document, lineCounter, keyPath);
      return line === undefined ? `file ${path}` : `file ${path} line ${line}`;
    },
  };
}

/** Line of the deepest key of `path` present in the YAML document: where the operator has to look. */
function yamlKeyLine(document: Document, lineCounter: LineCounter, path: readonly string[]): number | undefined {
  let node: unknown = document.contents;
  let line: number | undefined;
  for (const segment of path) {
    if (!isMap(node)) break;
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
    if (pair === undefined) break;
    const start = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    if (start !== undefined) line = lineCounter.linePos(start).line;
    node = pair.value;
  }
  return line;
}

function expectMapping(path: string, document: unknown): PlainObject {
  // An empty file is an empty configuration: all defaults.
  if (document === null || document === undefined) return {};
  if (!isPlainObject(document)) {
    const kind = Array.isArray(document) ? 'a list' : `a ${typeof document}`;
    throw fileError(`config file ${path} must hold a mapping of config keys, holds ${kind}`);
  }
  return document;
}

function fileError(message: string, cause?: unknown): ConfigError {
  return new ConfigError([{ key: '', message }], cause === undefined ? undefined : { cause });
}

function readEnvironment(env: NodeJS.ProcessEnv): Layer {
  const values: PlainObject = {};
  const variableOf = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_FILE_ENV || raw === undefined) continue;
    const mapped = envKeyPath(name);
    if ('problem' in mapped) {
      issues.push({ key: mapped.path.join('.'), message: `environment variable ${name} ${mapped.problem}` });
      continue;
    }
    const value = fromString(raw, mapped.type);
    if (value === undefined) {
      issues.push({
        key: mapped.path.join('.'),
        message: `environment variable ${name}=${JSON.stringify(raw)} is not ${describeType(mapped.type)}`,
      });
      continue;
    }
    setPath(values, mapped.path, value);
    variableOf.set(mapped.path.join('.'), name);
  }
  const [first, ...rest] = issues;
  if (first !== undefined) throw new ConfigError([first, ...rest]);
  return {
    values,
    describe: (path) => `env ${variableOf.get(path.join('.')) ?? envName(path)}`,
  };
}

type LeafType = 'string' | 'boolean' | 'integer' | 'number';

/** Maps a variable name to its key path, checked against the schema so typos are refused. */
function envKeyPath(name: string): { path: string[]; type: LeafType } | { path: string[]; problem: string } {
  const segments = name.slice(ENV_PREFIX.length).split(ENV_NESTING_SEPARATOR);
  const path: string[] = [];
  for (const segment of segments) {
    if (!/^[A-Z0-9]+(_[A-Z0-9]+)*$/.test(segment)) {
      return { path, problem: 'is not a config key: segments are SCREAMING_SNAKE_CASE separated by "__"' };
    }
    // Record keys are actor ids, which are kebab-case (`peer-link`); schema keys are camelCase.
    const parent = lookupConfigKey(path);
    path.push(parent?.record === true ? segment.toLowerCase().replaceAll('_', '-') : camelCase(segment));
    const info = lookupConfigKey(path);
    if (info === undefined) {
      const known = parent?.keys?.map((key) => envName([...path.slice(0, -1), key])) ?? [];
      return {
        path,
        problem: `is not a config key${known.length > 0 ? ` (known here: ${known.join(', ')})` : ''}`,
      };
    }
  }
  const info = lookupConfigKey(path);
  if (info === undefined || info.type === 'object') {
    return { path, problem: `names a group of settings: set its keys one by one (${envName(path)}__<KEY>)` };
  }
  return { path, type: info.type };
}

function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((key) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replaceAll('-', '_').toUpperCase()).join(ENV_NESTING_SEPARATOR);
}

function camelCase(snake: string): string {
  const [head = '', ...tail] = snake.toLowerCase().split('_');
  return head + tail.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}

/** Reads a string as the type the schema wants there; undefined when it cannot be one. */
function fromString(raw: string, type: LeafType): unknown {
  switch (type) {
    case 'string':
      return raw;
    case 'boolean':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return undefined;
    case 'integer':
    case 'number':
      // Range and integrality are the schema's to check, so its message names the key's rule.
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw.trim()) ? Number(raw) : undefined;
  }
}

function describeType(type: LeafType): string {
  switch (type) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean (true, false, 1 or 0)';
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
  }
}

function readFlags(flags: Record<string, unknown>): Layer {
  const values: PlainObject = {};
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const path = name.split('.');
    const existing = getPath(values, path);
    setPath(values, path, isPlainObject(existing) && isPlainObject(value) ? mergeDeep(existing, value) : value);
  }
  coerceStrings(values, []);
  return { values, describe: (path) => `flag ${path.join('.')}` };
}

/** Flags usually arrive as strings (commander): read them as the schema's type where it wants a number or boolean. */
function coerceStrings(values: PlainObject, path: readonly string[]): void {
  for (const [key, value] of Object.entries(values)) {
    const keyPath = [...path, key];
    if (isPlainObject(value)) {
      coerceStrings(value, keyPath);
      continue;
    }
    if (typeof value !== 'string') continue;
    const info = lookupConfigKey(keyPath);
    if (info === undefined || info.type === 'object' || info.type === 'string') continue;
    const coerced = fromString(value, info.type);
    // Left as a string when unreadable, so the schema reports it against its flag.
    if (coerced !== undefined) define(values, key, coerced);
  }
}

function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Defines an own property, so keys like `__proto__` from a file stay data (and are refused as unknown keys). */
function define(target: PlainObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function mergeDeep(base: PlainObject, override: PlainObject): PlainObject {
  const result: PlainObject = {};
  for (const [key, value] of Object.entries(base)) define(result, key, value);
  for (const [key, value] of Object.entries(override)) {
    const current = Object.hasOwn(result, key) ? result[key] : undefined;
    define(result, key, isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value);
  }
  return result;
}

function getPath(values: PlainObject, path: readonly string[]): unknown {
  let node: unknown = values;
  for (const key of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

function hasPath(values: PlainObject, path: readonly string[]): boolean {
  let node: unknown = values;
  for (const key of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return false;
    node = node[key];
  }
  return true;
}

function setPath(values: PlainObject, path: readonly string[], value: unknown): void {
  let node = values;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) {
      define(node, key, value);
      return;
    }
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (isPlainObject(next)) {
      node = next;
    } else {
      const created: PlainObject = {};
      define(node, key, created);
      node = created;
    }
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
