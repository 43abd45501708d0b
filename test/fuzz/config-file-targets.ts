/**
 * The node's configuration files as `x0tta6bl4 run --config` reads them (cli/load-config.ts: YAML
 * or JSON, then the node configuration's schema, actors/runtime/config/node-config.ts), each case
 * a real file in a temporary directory. A configuration file carries no authentication, so the
 * oracle is the loader's: a file it accepts gives a configuration that satisfies the schema and
 * loads back unchanged when written out as JSON; every rejection is a ConfigError (exit code 2,
 * "invalid configuration"), whatever the file holds: syntax errors, hostile YAML (deep nesting,
 * alias fan-out), unknown keys, values past their bounds.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../actors/runtime/config/config-error.js';
import { nodeConfigSchema, parseNodeConfig, type NodeConfig } from '../../actors/runtime/config/node-config.js';
import { loadConfig } from '../../cli/load-config.js';
import { asyncFuzzTarget, type FuzzSuite } from './fuzz-target.js';
import { mustBeTyped, mustEqual } from './oracles.js';
import { documentFor, type JsonSchemaNode } from './schema-documents.js';
import { textNear } from './text-mutations.js';

export const CONFIG_TARGETS = ['config-yaml', 'config-json'] as const;

/** From dist/test/fuzz/ (compiled) back to the source tree's example configuration. */
const EXAMPLE_CONFIG = fileURLToPath(new URL('../../../deploy/x0tta6bl4.example.yaml', import.meta.url));
/** Nesting and alias counts past what any configuration needs: yaml overflows its stack at a depth of about 800, and refuses more than 100 aliases of one anchor. */
const MAX_HOSTILE_DEPTH = 1_500;
const MAX_HOSTILE_ALIASES = 300;

/** YAML shaped to exhaust a reader: deep nesting, one anchor aliased many times, anchors nested in anchors. */
const hostileYaml: fc.Arbitrary<string> = fc.oneof(
  fc.nat({ max: MAX_HOSTILE_DEPTH }).map((depth) => `dataDir: ${'['.repeat(depth)}${']'.repeat(depth)}\n`),
  fc.nat({ max: MAX_HOSTILE_DEPTH }).map((depth) => `mape:\n${Array.from({ length: Math.min(depth, 400) }, (_, level) => `${'  '.repeat(level + 1)}k${level}:`).join('\n')} 1\n`),
  fc.nat({ max: MAX_HOSTILE_ALIASES }).map((count) => `inspect:\n  actors: &a [monitor]\nactorHosts: [${Array.from({ length: count }, () => '*a').join(', ')}]\n`),
  fc.nat({ max: 12 }).map((levels) => ['a0: &a0 [x, x]', ...Array.from({ length: levels }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}]`)].join('\n')),
);

export async function configTargets(): Promise<FuzzSuite> {
  const dir = await mkdtemp(join(tmpdir(), 'x0tta6bl4-fuzz-config-'));
  const example = await readFile(EXAMPLE_CONFIG, 'utf8');
  const schema = z.toJSONSchema(nodeConfigSchema, { io: 'input' }) as JsonSchemaNode;
  const documents = documentFor(schema);
  const small = 'supervision:\n  intensity: 3\n  backoff: { minMs: 5, maxMs: 50 }\nmesh:\n  peers: [{ address: "10.0.0.2:7400", spiffeId: "spiffe://x0tta6bl4.local/node/b" }]\n';
  const json = JSON.stringify({ logLevel: 'debug', mape: { intervalMs: 500, retention: { rawMs: 60000 } }, identity: { trustDomain: 'example.org' }, actorHosts: { monitor: 'inline' } }, null, 2);

  const load = (file: string): NodeConfig => loadConfig({ file, env: {}, flags: {}, cwd: dir });

  const judge = async (file: string, text: string): Promise<string> => {
    await writeFile(join(dir, file), text);
    let config: NodeConfig;
    try {
      config = load(file);
    } catch (error) {
      return mustBeTyped(error, [ConfigError], 'loadConfig');
    }
    mustEqual(parseNodeConfig(config), config, 'the accepted configuration checked against the schema again');
    await writeFile(join(dir, 'written-back.json'), JSON.stringify(config));
    mustEqual(load('written-back.json'), config, 'the accepted configuration written as JSON and loaded again');
    return 'accepted';
  };

  const show = (text: string) => JSON.stringify(text);
  const yamlTarget = asyncFuzzTarget(
    'config-yaml',
    fc.oneof({ arbitrary: textNear([example, small]), weight: 4 }, { arbitrary: documents.map((document) => toYaml(document)), weight: 3 }, { arbitrary: hostileYaml, weight: 1 }),
    (text) => judge('fuzz.yaml', text),
    show,
  );
  const jsonTarget = asyncFuzzTarget('config-json', fc.oneof(textNear([json]), documents.map((document) => JSON.stringify(document) ?? '')), (text) => judge('fuzz.json', text), show);
  return { targets: [yamlTarget, jsonTarget], close: () => rm(dir, { recursive: true, force: true }) };
}
