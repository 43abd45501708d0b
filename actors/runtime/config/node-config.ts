/**
 * The node's configuration: one zod schema, the types derived from it, and `parseNodeConfig`.
 * Every key is optional in the input and has a named default here, so an empty document is a
 * working development node. Objects are strict: an unknown key is an error, because a typo
 * (`supervison`) that silently falls back to a default is worse than a refusal to start.
 */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import type { HostKind } from '../contracts/host.js';
import { DEFAULT_RISK_THRESHOLD } from '../../../lib/mape/defaults.js';
import { DEFAULT_SVID_TTL_MS } from '../../../lib/spiffe/defaults.js';
import { parseEndpointAddress } from '../../../lib/spiffe/endpoint-address.js';
import { parseHostPort } from '../../../lib/net/host-port.js';
import { meshOptionsSchema } from '../../../lib/mesh/mesh-options.js';
import { refineWith } from '../../../lib/schema/refine-with.js';

export { DEFAULT_RISK_THRESHOLD, DEFAULT_SVID_TTL_MS };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The hosts an actor can run in; `satisfies` keeps every entry a HostKind of host.ts. */
export const HOST_KINDS = ['worker', 'inline'] as const satisfies readonly HostKind[];

/** Relative to the working directory (the CLI resolves it), so `npm start` in a checkout keeps state there; systemd sets the StateDirectory. */
export const DEFAULT_DATA_DIR = './data';
/** Lifecycle events (start, restarts, escalations) without per-message noise. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
/** Inside dataDir, so the socket is only as reachable as the data directory (0700 under systemd). */
export const CONTROL_SOCKET_FILE_NAME = 'control.sock';
/** Enough for actors to flush their last snapshots, and well under systemd's default TimeoutStopSec (90 s). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** Production isolation: a crash or a hung event loop takes down one thread, not the node. */
export const DEFAULT_HOST: HostKind = 'worker';
/** OTP's usual budget, and the root's in ARCHITECTURE.md: more than 5 crashes in 30 s will not heal by restarting. */
export const DEFAULT_SUPERVISION_INTENSITY = 5;
export const DEFAULT_SUPERVISION_PERIOD_MS = 30_000;
/** A one-off crash restarts almost at once. */
export const DEFAULT_BACKOFF_MIN_MS = 10;
/** A crash loop cannot spin a core, yet stays short enough that the intensity period sees the loop and escalates. */
export const DEFAULT_BACKOFF_MAX_MS = 1_000;
/** ±20 % spreads restarts of siblings (one_for_all) and of mesh nodes hit by the same fault, so they do not retry in lockstep. */
export const DEFAULT_BACKOFF_JITTER = 0.2;
/** One ping a second costs nothing and bounds how long a hung event loop goes unnoticed. */
export const DEFAULT_LIVENESS_INTERVAL_MS = 1_000;
/** Three missed pings: far above GC pauses, yet a loop blocked this long is not serving the mesh. */
export const DEFAULT_LIVENESS_TIMEOUT_MS = 3_000;
/** One pre-started thread hides worker start-up (module loading) from the first restart; more cost memory for crashes the intensity limit bounds anyway. */
export const DEFAULT_SPARE_WORKERS = 1;
/** Holds a few seconds of heavy traffic while an actor restarts, at a memory cost of a few MB per actor. */
export const DEFAULT_MAILBOX_CAPACITY = 10_000;
/** Keeps the thread's port busy for throughput while bounding what is redelivered after a crash. */
export const DEFAULT_INFLIGHT_WINDOW = 1_024;
/** Below the default supervision intensity (5), so a poison message is parked before it takes its subtree down. */
export const DEFAULT_POISON_LIMIT = 4;
/** The issue's sampling interval: detection within two intervals keeps MTTD under 2 s. */
export const DEFAULT_MAPE_INTERVAL_MS = 1_000;
/** Below this the probes and writes of sampling itself become the load. */
export const MIN_MAPE_INTERVAL_MS = 100;
/** A health probe unanswered this long marks the thread unresponsive (at most half the interval). */
export const DEFAULT_PROBE_TIMEOUT_MS = 250;
/** A shed topic is accepted again after this long, unless the loop lifts it earlier. */
export const DEFAULT_SHED_TTL_MS = 30_000;
/** Raw samples: a day at full resolution for investigating an incident. */
export const DEFAULT_RAW_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Per-minute rollups: a month of trends. */
export const DEFAULT_ROLLUP_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** Coalesces a burst of transitions into one write; acknowledgements wait for the snapshot, so this is also their added latency. */
export const DEFAULT_SNAPSHOT_THROTTLE_MS = 5;

const positiveInt = z.int().min(1);
const nonNegativeInt = z.int().min(0);
const hostKindSchema = z.enum(HOST_KINDS);

const backoffSchema = z
  .strictObject({
    minMs: nonNegativeInt.default(DEFAULT_BACKOFF_MIN_MS),
    maxMs: nonNegativeInt.default(DEFAULT_BACKOFF_MAX_MS),
    jitter: z.number().min(0).max(1).default(DEFAULT_BACKOFF_JITTER),
  })
  .superRefine((backoff, ctx) => {
    if (backoff.minMs > backoff.maxMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxMs'],
        message: `must be at least minMs (${backoff.minMs}), is ${backoff.maxMs}`,
      });
    }
  });

const supervisionSchema = z
  .strictObject({
    intensity: nonNegativeInt.default(DEFAULT_SUPERVISION_INTENSITY),
    periodMs: positiveInt.default(DEFAULT_SUPERVISION_PERIOD_MS),
    // prefault: an absent or partial object goes through the schema, so nested defaults apply.
    backoff: backoffSchema.prefault({}),
    livenessIntervalMs: positiveInt.default(DEFAULT_LIVENESS_INTERVAL_MS),
    livenessTimeoutMs: positiveInt.default(DEFAULT_LIVENESS_TIMEOUT_MS),
    spareWorkers: nonNegativeInt.default(DEFAULT_SPARE_WORKERS),
  })
  .superRefine((supervision, ctx) => {
    // A timeout within one interval would declare a healthy actor dead between two pings.
    if (supervision.livenessTimeoutMs <= supervision.livenessIntervalMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['livenessTimeoutMs'],
        message: `must be greater than livenessIntervalMs (${supervision.livenessIntervalMs}), is ${supervision.livenessTimeoutMs}`,
      });
    }
  });

const mailboxSchema = z.strictObject({
  capacity: positiveInt.default(DEFAULT_MAILBOX_CAPACITY),
  inflightWindow: positiveInt.default(DEFAULT_INFLIGHT_WINDOW),
  poisonLimit: z.int().min(2).default(DEFAULT_POISON_LIMIT),
});

const mapeSchema = z
  .strictObject({
    /** The MAPE-K actors in the default tree, and the runtime's sampling and remediation commands. */
    enabled: z.boolean().default(true),
    intervalMs: z.int().min(MIN_MAPE_INTERVAL_MS).default(DEFAULT_MAPE_INTERVAL_MS),
    /** Defaults to DEFAULT_PROBE_TIMEOUT_MS or half the interval, whichever is less (see probeTimeoutOf). */
    probeTimeoutMs: positiveInt.optional(),
    riskThreshold: z.number().min(0).max(1).default(DEFAULT_RISK_THRESHOLD),
    shedTtlMs: positiveInt.default(DEFAULT_SHED_TTL_MS),
    retention: z
      .strictObject({
        rawMs: positiveInt.default(DEFAULT_RAW_RETENTION_MS),
        rollupMs: positiveInt.default(DEFAULT_ROLLUP_RETENTION_MS),
      })
      .prefault({}),
  })
  .superRefine((mape, ctx) => {
    // A probe still out when the next sample is due would overlap the samples.
    if (mape.probeTimeoutMs !== undefined && mape.probeTimeoutMs * 2 > mape.intervalMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['probeTimeoutMs'],
        message: `must be at most half of intervalMs (${mape.intervalMs}), is ${mape.probeTimeoutMs}`,
      });
    }
  });

const snapshotsSchema = z.strictObject({
  throttleMs: nonNegativeInt.default(DEFAULT_SNAPSHOT_THROTTLE_MS),
});

/** The embedded trust domain's name when none is configured (a local mesh of development nodes). */
export const DEFAULT_TRUST_DOMAIN = 'x0tta6bl4.local';

const identitySchema = z.strictObject({
  /**
   * The Workload API endpoint of a SPIRE agent (`unix:///path` or `tcp://IP:port`); the CLI fills it
   * from SPIFFE_ENDPOINT_SOCKET when the configuration leaves it out. Without one, the node runs its
   * own embedded trust domain (refused in production mode).
   */
  agentSocket: z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      try {
        parseEndpointAddress(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      }
    })
    .optional(),
  trustDomain: z.string().min(1).default(DEFAULT_TRUST_DOMAIN),
  /** The node's SPIFFE ID in the embedded trust domain; default spiffe://<trustDomain>/node/<hostname>. */
  spiffeId: z.string().min(1).optional(),
  svidTtlMs: z.int().min(10_000).default(DEFAULT_SVID_TTL_MS),
  /** With several SVIDs from the agent, the one with this hint (else this SPIFFE ID, else the first). */
  hint: z.string().min(1).optional(),
  /**
   * The node's ML-DSA-65 signing key, provisioned by the operator (`x0tta6bl4 identity keygen`, run
   * as the node's user, or the file chowned to it: the node reads only its own 0600 key): it must
   * exist, since a missing key silently replaced would make the node a stranger to its mesh.
   * Unset: `<dataDir>/node-key.mldsa65`, created on the first start of a node with a mesh.
   */
  nodeKeyFile: z
    .string()
    .min(1)
    // Absolute: a relative path would depend on the directory the node happens to start in.
    .refine((path) => isAbsolute(path), 'must be an absolute path')
    .optional(),
});

/** Prometheus's customary port for a node's own exporter, on loopback: scraping from elsewhere is a deliberate choice. */
export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9464';

const metricsSchema = z.strictObject({
  /** /metrics, /health and /ready over HTTP. */
  enabled: z.boolean().default(true),
  listen: z
    .string()
    .min(1)
    .superRefine(refineWith((value) => parseHostPort(value, { allowAnyPort: true })))
    .default(DEFAULT_METRICS_LISTEN),
});

/** The inspector relay's port: @statelyai/inspect's default, where its page says to look. */
export const DEFAULT_INSPECT_PORT = 8080;

const inspectSchema = z.strictObject({
  /**
   * XState inspection through Stately's inspector (`run --inspect`). Off by default: every event of
   * an inspected actor is serialised and sent, which costs its throughput. Refused in production
   * mode: it shows every actor's state to whoever holds the page's token.
   */
  enabled: z.boolean().default(false),
  /** The relay's HTTP page and WebSocket port, on loopback only (0: any free port; the URL is logged). */
  port: z.int().min(0).max(65_535).default(DEFAULT_INSPECT_PORT),
  /** Only these actors' machines (default: every actor). */
  actors: z.array(z.string().min(1)).min(1).optional(),
});

export const nodeConfigSchema = z.strictObject({
  dataDir: z.string().min(1).default(DEFAULT_DATA_DIR),
  production: z.boolean().default(false),
  logLevel: z.enum(LOG_LEVELS).default(DEFAULT_LOG_LEVEL),
  /** Defaults to `<dataDir>/control.sock`, filled in by parseNodeConfig. */
  controlSocket: z.string().min(1).optional(),
  shutdownTimeoutMs: positiveInt.default(DEFAULT_SHUTDOWN_TIMEOUT_MS),
  host: hostKindSchema.default(DEFAULT_HOST),
  /** Per-actor override of `host`, by actor id. */
  actorHosts: z.record(z.string().min(1), hostKindSchema).default({}),
  supervision: supervisionSchema.prefault({}),
  mailbox: mailboxSchema.prefault({}),
  snapshots: snapshotsSchema.prefault({}),
  mape: mapeSchema.prefault({}),
  identity: identitySchema.prefault({}),
  /** The peer-link actor's options, written once for both (lib/mesh/mesh-options.ts). */
  mesh: meshOptionsSchema.prefault({}),
  metrics: metricsSchema.prefault({}),
  inspect: inspectSchema.prefault({}),
}).superRefine((config, ctx) => {
  if (config.production && config.inspect.enabled) {
    ctx.addIssue({ code: 'custom', path: ['inspect', 'enabled'], message: 'the XState inspector is for development: production mode refuses it' });
  }
  if (config.production && config.identity.agentSocket === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['identity', 'agentSocket'],
      message: 'production mode requires a SPIRE agent (set SPIFFE_ENDPOINT_SOCKET or identity.agentSocket); the embedded trust domain is for development',
    });
  }
});

/**
 * The depth at which a mailbox tells the self-healing loop at once (mailbox.ts): a fifth of its
 * capacity, the seeded deep-mailbox rule's 2,000 of the default 10,000, so the rule first sees a
 * flood the moment it builds rather than at the next sample. A rule an operator set lower still
 * has the samples.
 */
export function mailboxHighWaterOf(capacity: number): number {
  // At least 2, so that half of it is a depth an empty mailbox reaches and the mark re-arms.
  return Math.max(2, Math.ceil(capacity / 5));
}

/** The health-probe timeout the sampler uses. */
export function probeTimeoutOf(mape: { intervalMs: number; probeTimeoutMs?: number | undefined }): number {
  return mape.probeTimeoutMs ?? Math.min(DEFAULT_PROBE_TIMEOUT_MS, Math.floor(mape.intervalMs / 2));
}

/** What a config file, the environment or flags may say: every key optional. */
export type NodeConfigInput = z.input<typeof nodeConfigSchema>;
/** The configuration the node runs with: every key present. */
export type NodeConfig = Omit<z.output<typeof nodeConfigSchema>, 'controlSocket'> & { controlSocket: string };

export interface ParseNodeConfigOptions {
  /**
   * Where the value at a dotted key came from (`file /etc/x0tta6bl4.yaml`, `env X0TTA6BL4_…`),
   * so messages point the operator at the right place; undefined when not known.
   */
  sourceOf?: (key: string) => string | undefined;
}

/** Validates a configuration document and fills in every default; throws ConfigError listing all issues. */
export function parseNodeConfig(input: unknown, options: ParseNodeConfigOptions = {}): NodeConfig {
  const result = nodeConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const issues = result.error.issues.flatMap((issue) => toConfigIssues(issue, options.sourceOf));
    const [first, ...rest] = issues;
    // zod reports at least one issue on failure; the fallback keeps the type honest.
    throw new ConfigError(first === undefined ? [{ key: '', message: result.error.message }] : [first, ...rest]);
  }
  const { controlSocket, ...config } = result.data;
  return { ...config, controlSocket: controlSocket ?? join(config.dataDir, CONTROL_SOCKET_FILE_NAME) };
}

function toConfigIssues(issue: z.core.$ZodIssue, sourceOf: ParseNodeConfigOptions['sourceOf']): ConfigIssue[] {
  const path = issue.path.map(String);
  const withSource = (key: string, message: string): ConfigIssue => {
    const source = sourceOf?.(key);
    return { key, message: source === undefined ? message : `${message} (from ${source})` };
  };
  if (issue.code === 'unrecognized_keys') {
    const known = lookupConfigKey(path)?.keys ?? [];
    return issue.keys.map((unknownKey) =>
      withSource(
        [...path, unknownKey].join('.'),
        `unknown key${known.length > 0 ? ` (known keys here: ${known.join(', ')})` : ''}`,
      ),
    );
  }
  return [withSource(path.join('.'), issue.message)];
}

/** The shape of one key of the schema, as needed to read values from strings (environment, flags). */
export interface ConfigKeyInfo {
  type: 'string' | 'boolean' | 'integer' | 'number' | 'object';
  /** For objects with a fixed set of keys: those keys. */
  keys?: string[];
  /** For records (`actorHosts`): keys are free-form ids. */
  record?: boolean;
}

interface JsonSchemaNode {
  type?: string;
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: boolean | JsonSchemaNode;
}

// The schema's input side as JSON Schema: a public, plain-data view of the key tree that does not
// depend on zod's internals.
let inputJsonSchema: JsonSchemaNode | undefined;

/** Looks up a key path in the schema (`['supervision', 'backoff', 'minMs']`); undefined if the schema has no such key. */
export function lookupConfigKey(path: readonly string[]): ConfigKeyInfo | undefined {
  inputJsonSchema ??= z.toJSONSchema(nodeConfigSchema, { io: 'input' }) as JsonSchemaNode;
  let node: JsonSchemaNode | undefined = inputJsonSchema;
  for (const segment of path) {
    if (node === undefined) return undefined;
    const property: JsonSchemaNode | undefined = node.properties?.[segment];
    if (property !== undefined) node = property;
    else if (typeof node.additionalProperties === 'object') node = node.additionalProperties;
    else return undefined;
  }
  if (node === undefined) return undefined;
  switch (node.type) {
    case 'string':
    case 'boolean':
    case 'integer':
    case 'number':
      return { type: node.type };
    case 'object':
      return node.properties !== undefined
        ? { type: 'object', keys: Object.keys(node.properties) }
        : { type: 'object', record: true };
    default:
      return undefined;
  }
}
