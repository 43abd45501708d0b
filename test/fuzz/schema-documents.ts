/**
 * Documents shaped by a JSON Schema (the node configuration's input schema, from zod): objects
 * with a random subset of the schema's keys and now and then an unknown one, values at and just
 * past each bound (minimum, maximum, enum, minLength), plausible strings for the configuration's
 * string keys (addresses, SPIFFE IDs, socket paths), and some values of the wrong type. Most are
 * near-valid, so both the loader's accepting path and every one of its checks are reached.
 */
import fc from 'fast-check';

export interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: boolean | JsonSchemaNode;
  items?: JsonSchemaNode;
  enum?: unknown[];
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
}

/** Strings a node's configuration holds: addresses, IDs, paths, and a few that look like them and are not. */
const PLAUSIBLE_STRINGS = [
  './data', '/var/lib/x0tta6bl4', 'unix:///run/spire/agent/public/api.sock', 'unix:relative.sock', 'tcp://127.0.0.1:8081', '127.0.0.1:9464', '[::1]:7400', '0.0.0.0:7400',
  'host:0', 'host:65536', 'spiffe://x0tta6bl4.local/node/a', 'spiffe://x0tta6bl4.local', 'spiffe://Bad.Domain/x', 'x0tta6bl4.local', '/node', 'node', 'x-wing', 'mlkem1024-x25519',
  'worker', 'inline', 'monitor', 'peer-link', '', ' ', 'a'.repeat(300),
];

const wrongType = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 6 }), fc.constant([]), fc.constant({}));

function numberFor(node: JsonSchemaNode, integer: boolean): fc.Arbitrary<number> {
  const min = node.minimum ?? node.exclusiveMinimum ?? -1e6;
  const max = Math.min(node.maximum ?? node.exclusiveMaximum ?? 1e9, 1e12);
  const edges = [min, min - 1, max, max + 1, 0, -1, 1, 0.5, Number.MAX_SAFE_INTEGER + 2, 1e308, -0].filter((value) => !integer || Number.isFinite(value));
  const inRange = integer ? fc.integer({ min: Math.ceil(Math.max(min, -(2 ** 31))), max: Math.floor(Math.min(max, 2 ** 31)) }) : fc.double({ min, max, noNaN: true });
  return fc.oneof(fc.constantFrom(...edges), inRange);
}

export function documentFor(node: JsonSchemaNode, depth = 0): fc.Arbitrary<unknown> {
  const choices = [node.anyOf, node.oneOf].find((list) => list !== undefined);
  if (choices) return fc.oneof(...choices.map((choice) => documentFor(choice, depth)));
  const typed = valueFor(node, depth);
  return fc.oneof({ arbitrary: typed, weight: 9 }, { arbitrary: wrongType, weight: 1 });
}

function valueFor(node: JsonSchemaNode, depth: number): fc.Arbitrary<unknown> {
  if (node.enum) return fc.oneof({ arbitrary: fc.constantFrom(...node.enum), weight: 4 }, { arbitrary: fc.constantFrom(...PLAUSIBLE_STRINGS), weight: 1 });
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  switch (type) {
    case 'object': {
      const known = Object.entries(node.properties ?? {}).map(([key, child]) => [key, documentFor(child, depth + 1)] as const);
      const free = typeof node.additionalProperties === 'object' ? fc.dictionary(fc.constantFrom(...PLAUSIBLE_STRINGS), documentFor(node.additionalProperties, depth + 1), { maxKeys: 3 }) : fc.constant({});
      const unknown = fc.oneof({ arbitrary: fc.constant({}), weight: 9 }, { arbitrary: fc.dictionary(fc.constantFrom('unknownKey', '__proto__', 'constructor', 'DataDir'), fc.integer(), { maxKeys: 1 }), weight: 1 });
      return fc.tuple(fc.record(Object.fromEntries(known), { requiredKeys: [] }), free, unknown).map(([fixed, extra, odd]) => ({ ...extra, ...odd, ...(fixed as object) }));
    }
    case 'array':
      return fc.array(node.items ? documentFor(node.items, depth + 1) : wrongType, { maxLength: 3 });
    case 'integer':
      return numberFor(node, true);
    case 'number':
      return numberFor(node, false);
    case 'string':
      return fc.oneof({ arbitrary: fc.constantFrom(...PLAUSIBLE_STRINGS), weight: 3 }, { arbitrary: fc.string({ minLength: node.minLength ?? 0, maxLength: 12 }), weight: 1 });
    case 'boolean':
      return fc.boolean();
    default:
      return wrongType;
  }
}
