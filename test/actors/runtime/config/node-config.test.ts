import { failureDetectionTimings } from '../../../../lib/mesh/failure-detection.js';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../actors/runtime/config/config-error.js';
import {
  DEFAULT_BACKOFF_JITTER,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_BACKOFF_MIN_MS,
  DEFAULT_INFLIGHT_WINDOW,
  DEFAULT_LIVENESS_INTERVAL_MS,
  DEFAULT_LIVENESS_TIMEOUT_MS,
  DEFAULT_MAILBOX_CAPACITY,
  DEFAULT_MAPE_INTERVAL_MS,
  DEFAULT_POISON_LIMIT,
  DEFAULT_RAW_RETENTION_MS,
  DEFAULT_RISK_THRESHOLD,
  DEFAULT_ROLLUP_RETENTION_MS,
  DEFAULT_SHED_TTL_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_SNAPSHOT_THROTTLE_MS,
  DEFAULT_SPARE_WORKERS,
  DEFAULT_SUPERVISION_INTENSITY,
  DEFAULT_SUPERVISION_PERIOD_MS,
  DEFAULT_SVID_TTL_MS,
  DEFAULT_TRUST_DOMAIN,
  lookupConfigKey,
  parseNodeConfig,
  probeTimeoutOf,
} from '../../../../actors/runtime/config/node-config.js';

function configErrorOf(input: unknown): ConfigError {
  try {
    parseNodeConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('parseNodeConfig', () => {
  it('fills every default from an empty document', () => {
    expect(parseNodeConfig({})).toEqual({
      dataDir: './data',
      production: false,
      logLevel: 'info',
      controlSocket: 'data/control.sock',
      shutdownTimeoutMs: DEFAULT_SHUTDOWN_TIMEOUT_MS,
      host: 'worker',
      actorHosts: {},
      supervision: {
        intensity: DEFAULT_SUPERVISION_INTENSITY,
        periodMs: DEFAULT_SUPERVISION_PERIOD_MS,
        backoff: { minMs: DEFAULT_BACKOFF_MIN_MS, maxMs: DEFAULT_BACKOFF_MAX_MS, jitter: DEFAULT_BACKOFF_JITTER },
        livenessIntervalMs: DEFAULT_LIVENESS_INTERVAL_MS,
        livenessTimeoutMs: DEFAULT_LIVENESS_TIMEOUT_MS,
        spareWorkers: DEFAULT_SPARE_WORKERS,
      },
      mailbox: { capacity: DEFAULT_MAILBOX_CAPACITY, inflightWindow: DEFAULT_INFLIGHT_WINDOW, poisonLimit: DEFAULT_POISON_LIMIT },
      snapshots: { throttleMs: DEFAULT_SNAPSHOT_THROTTLE_MS },
      mape: {
        enabled: true,
        intervalMs: DEFAULT_MAPE_INTERVAL_MS,
        riskThreshold: DEFAULT_RISK_THRESHOLD,
        shedTtlMs: DEFAULT_SHED_TTL_MS,
        retention: { rawMs: DEFAULT_RAW_RETENTION_MS, rollupMs: DEFAULT_ROLLUP_RETENTION_MS },
      },
      identity: { trustDomain: DEFAULT_TRUST_DOMAIN, svidTtlMs: DEFAULT_SVID_TTL_MS },
      mesh: {
        peers: [],
        authorize: [{ pathPrefix: '/node' }],
        failureDetection: { heartbeatMs: 100, phiThreshold: 8, acceptablePauseMs: 250, minStdDevMs: 50, suspicionMaxMs: 1_000, suspicionMinMs: 250, confirmations: 2 },
        postQuantum: { suites: ['x-wing'], rekeyAfterFrames: 2 ** 20, rekeyAfterMs: 120_000 },
      },
      metrics: { enabled: true, listen: '127.0.0.1:9464' },
      inspect: { enabled: false, port: 8080 },
    });
    expect(parseNodeConfig(undefined)).toEqual(parseNodeConfig({}));
  });

  it('checks the mesh: listen and peer addresses, peer SPIFFE IDs and authorization entries, naming the rule broken', () => {
    const mesh = parseNodeConfig({
      mesh: {
        listen: '[::1]:0',
        peers: [{ address: 'node-b.mesh.internal:7400', spiffeId: 'spiffe://mesh.test/node/b' }],
        authorize: [{ ids: ['spiffe://mesh.test/node/b'] }, { trustDomain: 'partner.test' }, { pathPrefix: '/node', trustDomain: 'mesh.test' }],
      },
    }).mesh;
    expect(mesh.listen).toBe('[::1]:0');
    expect(mesh.authorize).toHaveLength(3);
    expect(() => parseNodeConfig({ mesh: { listen: '127.0.0.1' } })).toThrow(/mesh\.listen: '127\.0\.0\.1' is not host:port/);
    expect(() => parseNodeConfig({ mesh: { listen: '127.0.0.1:70000' } })).toThrow(/mesh\.listen: port 70000 is out of range/);
    expect(() => parseNodeConfig({ mesh: { listen: '[127.0.0.1]:7400' } })).toThrow(/not an IPv6 address/);
    expect(() => parseNodeConfig({ mesh: { peers: [{ address: '127.0.0.1:0', spiffeId: 'spiffe://mesh.test/node/b' }] } })).toThrow(/mesh\.peers\.0\.address: port 0/);
    expect(() => parseNodeConfig({ mesh: { peers: [{ address: 'bad host:1', spiffeId: 'spiffe://mesh.test/node/b' }] } })).toThrow(/neither an IPv4 address nor a DNS name/);
    expect(() => parseNodeConfig({ mesh: { peers: [{ address: '127.0.0.1:7400', spiffeId: 'spiffe://Mesh.test/node/b' }] } })).toThrow(/mesh\.peers\.0\.spiffeId/);
    expect(() => parseNodeConfig({ mesh: { peers: [{ address: '127.0.0.1:7400' }] } })).toThrow(/mesh\.peers\.0\.spiffeId/);
    expect(() => parseNodeConfig({ mesh: { authorize: [] } })).toThrow(/mesh\.authorize/);
    expect(() => parseNodeConfig({ mesh: { authorize: [{ pathPrefix: 'node' }] } })).toThrow(/mesh\.authorize/);
    expect(() => parseNodeConfig({ mesh: { authorize: [{ trustDomain: 'mesh test' }] } })).toThrow(/mesh\.authorize/);
    expect(() => parseNodeConfig({ mesh: { authorize: [{ ids: [] }] } })).toThrow(/mesh\.authorize/);
    // The failure detector's and the suspicion's timings: each bounded, the suspicion's least no more than its most; what the peer link runs with.
    const tuned = parseNodeConfig({ mesh: { failureDetection: { heartbeatMs: 200, suspicionMaxMs: 3_000, confirmations: 3 } } }).mesh.failureDetection;
    expect(failureDetectionTimings(tuned)).toEqual({
      heartbeat: { intervalMs: 200, phiThreshold: 8, acceptablePauseMs: 250, minStdDevMs: 50, windowSize: 200 },
      suspicion: { maxMs: 3_000, minMs: 250, confirmations: 3 },
    });
    expect(() => parseNodeConfig({ mesh: { failureDetection: { heartbeatMs: 5 } } })).toThrow(/mesh\.failureDetection\.heartbeatMs/);
    expect(() => parseNodeConfig({ mesh: { failureDetection: { suspicionMinMs: 2_000 } } })).toThrow(/mesh\.failureDetection\.suspicionMinMs: suspicionMinMs is above suspicionMaxMs/);
    expect(() => parseNodeConfig({ mesh: { failureDetection: { phi: 8 } } })).toThrow(/mesh\.failureDetection/);
    // Where members reach this node: host:port each, at most 8, no address twice in any spelling.
    expect(parseNodeConfig({ mesh: { advertise: ['10.0.0.1:7400', '[2001:db8::1]:7400'] } }).mesh.advertise).toEqual(['10.0.0.1:7400', '[2001:db8::1]:7400']);
    expect(() => parseNodeConfig({ mesh: { advertise: ['[2001:db8::1]:7400', '[2001:DB8:0::1]:7400'] } })).toThrow(/mesh\.advertise: lists an address twice/);
    expect(() => parseNodeConfig({ mesh: { advertise: [' ', ' '] } })).toThrow(/mesh\.advertise\.0: ' ' is not host:port/);
    expect(() => parseNodeConfig({ mesh: { advertise: Array.from({ length: 9 }, (_, index) => `10.0.0.${index}:7400`) } })).toThrow(/mesh\.advertise/);
    expect(parseNodeConfig({ mesh: { postQuantum: { suites: ['mlkem1024-x25519', 'x-wing'] } } }).mesh.postQuantum.suites).toEqual(['mlkem1024-x25519', 'x-wing']);
    expect(() => parseNodeConfig({ mesh: { postQuantum: { suites: [] } } })).toThrow(/mesh\.postQuantum\.suites/);
    expect(() => parseNodeConfig({ mesh: { postQuantum: { suites: ['x-wing', 'x-wing'] } } })).toThrow(/lists a suite twice/);
    expect(() => parseNodeConfig({ mesh: { postQuantum: { suites: ['classic'] } } })).toThrow(/mesh\.postQuantum\.suites/);
    expect(() => parseNodeConfig({ mesh: { postQuantum: { rekeyAfterMs: 10 } } })).toThrow(/mesh\.postQuantum\.rekeyAfterMs/);
    expect(() => parseNodeConfig({ metrics: { listen: 'localhost' } })).toThrow(/metrics\.listen: 'localhost' is not host:port/);
    expect(parseNodeConfig({ metrics: { listen: '[::1]:0' } }).metrics.listen).toBe('[::1]:0');
  });

  it('checks the self-healing loop\'s settings: an interval of at least 100 ms, a probe timeout within half of it', () => {
    expect(probeTimeoutOf(parseNodeConfig({}).mape)).toBe(250);
    expect(probeTimeoutOf(parseNodeConfig({ mape: { intervalMs: 200 } }).mape)).toBe(100);
    expect(() => parseNodeConfig({ mape: { intervalMs: 50 } })).toThrow(/mape\.intervalMs/);
    expect(() => parseNodeConfig({ mape: { intervalMs: 1000, probeTimeoutMs: 600 } })).toThrow(/mape\.probeTimeoutMs: must be at most half/);
    expect(() => parseNodeConfig({ mape: { riskThreshold: 1.5 } })).toThrow(/mape\.riskThreshold/);
    expect(() => parseNodeConfig({ mailbox: { poisonLimit: 1 } })).toThrow(/mailbox\.poisonLimit/);
  });

  it('keeps given values and fills the nested defaults around them', () => {
    const config = parseNodeConfig({
      dataDir: '/var/lib/x0tta6bl4',
      supervision: { intensity: 0, backoff: { jitter: 1 } },
      actorHosts: { 'peer-link': 'inline' },
    });
    expect(config.controlSocket).toBe('/var/lib/x0tta6bl4/control.sock');
    expect(config.supervision.intensity).toBe(0);
    expect(config.supervision.periodMs).toBe(DEFAULT_SUPERVISION_PERIOD_MS);
    expect(config.supervision.backoff).toEqual({ minMs: DEFAULT_BACKOFF_MIN_MS, maxMs: DEFAULT_BACKOFF_MAX_MS, jitter: 1 });
    expect(config.actorHosts).toEqual({ 'peer-link': 'inline' });
  });

  it('keeps an explicit control socket', () => {
    expect(parseNodeConfig({ controlSocket: '/run/x.sock' }).controlSocket).toBe('/run/x.sock');
  });

  it.each([
    [{ supervision: { intensity: -1 } }, 'supervision.intensity'],
    [{ supervision: { intensity: 1.5 } }, 'supervision.intensity'],
    [{ supervision: { periodMs: 0 } }, 'supervision.periodMs'],
    [{ supervision: { backoff: { jitter: 1.5 } } }, 'supervision.backoff.jitter'],
    [{ supervision: { backoff: { minMs: 500, maxMs: 100 } } }, 'supervision.backoff.maxMs'],
    [{ supervision: { livenessIntervalMs: 1000, livenessTimeoutMs: 1000 } }, 'supervision.livenessTimeoutMs'],
    [{ supervision: { spareWorkers: -1 } }, 'supervision.spareWorkers'],
    [{ identity: { nodeKeyFile: 'keys/node-key' } }, 'identity.nodeKeyFile'],
    [{ supervision: 5 }, 'supervision'],
    [{ mailbox: { capacity: 0 } }, 'mailbox.capacity'],
    [{ mailbox: { inflightWindow: '10' } }, 'mailbox.inflightWindow'],
    [{ snapshots: { throttleMs: -5 } }, 'snapshots.throttleMs'],
    [{ shutdownTimeoutMs: 0 }, 'shutdownTimeoutMs'],
    [{ logLevel: 'verbose' }, 'logLevel'],
    [{ production: 'yes' }, 'production'],
    [{ host: 'thread' }, 'host'],
    [{ actorHosts: { monitor: 'process' } }, 'actorHosts.monitor'],
    [{ dataDir: '' }, 'dataDir'],
    [{ production: true, identity: { agentSocket: 'unix:///run/spire/agent.sock' }, inspect: { enabled: true } }, 'inspect.enabled'],
  ])('refuses %j naming the key %s', (input, key) => {
    const error = configErrorOf(input);
    expect(error.name).toBe('ConfigError');
    expect(error.key).toBe(key);
    expect(error.message).toContain(key);
  });

  it('names an unknown key with its full path and the keys known there', () => {
    const error = configErrorOf({ supervision: { intensty: 3 } });
    expect(error.key).toBe('supervision.intensty');
    expect(error.message).toMatch(/supervision\.intensty: unknown key/);
    expect(error.message).toContain('intensity');
  });

  it('refuses an unknown top-level key', () => {
    const error = configErrorOf({ supervison: {} });
    expect(error.key).toBe('supervison');
  });

  it('lists every issue, not only the first', () => {
    const error = configErrorOf({ logLevel: 'loud', mailbox: { capacity: -1 }, extra: true });
    expect(error.issues.map((issue) => issue.key).sort()).toEqual(['extra', 'logLevel', 'mailbox.capacity']);
    expect(error.message).toContain('3 issues');
  });

  it('refuses a document that is not an object', () => {
    expect(configErrorOf([1, 2]).key).toBe('');
    expect(configErrorOf('dataDir=/x').key).toBe('');
  });

  it('mentions where a value came from when told', () => {
    try {
      parseNodeConfig({ logLevel: 'loud' }, { sourceOf: (key) => (key === 'logLevel' ? 'env X0TTA6BL4_LOG_LEVEL' : undefined) });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('(from env X0TTA6BL4_LOG_LEVEL)');
    }
  });
});

describe('lookupConfigKey', () => {
  it('describes leaves, objects and records', () => {
    expect(lookupConfigKey(['production'])).toEqual({ type: 'boolean' });
    expect(lookupConfigKey(['supervision', 'intensity'])).toEqual({ type: 'integer' });
    expect(lookupConfigKey(['supervision', 'backoff', 'jitter'])).toEqual({ type: 'number' });
    expect(lookupConfigKey(['supervision', 'backoff'])?.keys).toEqual(['minMs', 'maxMs', 'jitter']);
    expect(lookupConfigKey(['actorHosts'])).toEqual({ type: 'object', record: true });
    expect(lookupConfigKey(['actorHosts', 'peer-link'])).toEqual({ type: 'string' });
    expect(lookupConfigKey(['supervision', 'nope'])).toBeUndefined();
    expect(lookupConfigKey(['logLevel', 'deeper'])).toBeUndefined();
  });
});
