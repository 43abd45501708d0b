import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../actors/runtime/config/config-error.js';
import { DEFAULT_SUPERVISION_INTENSITY } from '../../actors/runtime/config/node-config.js';
import { loadConfig, type LoadConfigOptions } from '../../cli/load-config.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function load(options: Partial<LoadConfigOptions>) {
  return loadConfig({ env: {}, flags: {}, cwd: dir, ...options });
}

function configErrorOf(options: Partial<LoadConfigOptions>): ConfigError {
  try {
    load(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('loads the annotated example in deploy/, whose values are the defaults', () => {
    const example = fileURLToPath(new URL('../../../deploy/x0tta6bl4.example.yaml', import.meta.url));
    expect(load({ file: example })).toEqual(load({}));
  });

  it('gives defaults with paths resolved against the working directory', () => {
    const config = load({});
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.controlSocket).toBe(join(dir, 'data', 'control.sock'));
    expect(config.supervision.intensity).toBe(DEFAULT_SUPERVISION_INTENSITY);
  });

  it('reads a YAML file', () => {
    const file = writeFile(
      'node.yaml',
      ['dataDir: /var/lib/x0tta6bl4', 'logLevel: debug', 'supervision:', '  intensity: 2', '  backoff:', '    maxMs: 400', ''].join('\n'),
    );
    const config = load({ file });
    expect(config.dataDir).toBe('/var/lib/x0tta6bl4');
    expect(config.controlSocket).toBe('/var/lib/x0tta6bl4/control.sock');
    expect(config.logLevel).toBe('debug');
    expect(config.supervision.intensity).toBe(2);
    expect(config.supervision.backoff.maxMs).toBe(400);
  });

  it('reads a .yml file relative to the working directory', () => {
    writeFile('node.yml', 'production: true\nidentity:\n  agentSocket: unix:///run/spire/agent.sock\n');
    expect(load({ file: 'node.yml' }).production).toBe(true);
  });

  it('reads a JSON file', () => {
    const file = writeFile('node.json', JSON.stringify({ mailbox: { capacity: 64 }, actorHosts: { monitor: 'inline' } }));
    const config = load({ file });
    expect(config.mailbox.capacity).toBe(64);
    expect(config.actorHosts).toEqual({ monitor: 'inline' });
  });

  it('treats an empty file as all defaults', () => {
    const file = writeFile('empty.yaml', '# nothing set\n');
    expect(load({ file })).toEqual(load({}));
  });

  it('names the file and line of a YAML syntax error', () => {
    const file = writeFile('broken.yaml', 'logLevel: info\nsupervision:\n  intensity: [1, 2\nmailbox: {}\n');
    const error = configErrorOf({ file });
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not valid YAML at line \d+, column \d+/);
  });

  it('refuses duplicate keys in YAML', () => {
    const file = writeFile('dup.yaml', 'logLevel: info\nlogLevel: debug\n');
    expect(configErrorOf({ file }).message).toMatch(/not valid YAML at line 2/);
  });

  it('refuses a YAML alias bomb as a ConfigError (yaml throws a ReferenceError while expanding it)', () => {
    const file = writeFile('aliases.yaml', `inspect:\n  actors: &a [monitor]\nactorHosts: [${Array.from({ length: 101 }, () => '*a').join(', ')}]\n`);
    expect(configErrorOf({ file }).message).toMatch(/not usable YAML: Excessive alias count/);
  });

  it('names the file of a JSON syntax error', () => {
    const file = writeFile('broken.json', '{\n  "logLevel": "info",\n}\n');
    const error = configErrorOf({ file });
    expect(error.message).toContain(file);
    expect(error.message).toContain('not valid JSON');
  });

  it('names the file and line of a bad value in YAML', () => {
    const file = writeFile('bad.yaml', 'logLevel: info\nsupervision:\n  intensity: -3\n');
    const error = configErrorOf({ file });
    expect(error.key).toBe('supervision.intensity');
    expect(error.message).toContain(`from file ${file} line 3`);
  });

  it('names an unknown key in a file', () => {
    const file = writeFile('typo.yaml', 'supervison:\n  intensity: 3\n');
    const error = configErrorOf({ file });
    expect(error.key).toBe('supervison');
    expect(error.message).toContain(`file ${file} line 1`);
  });

  it('refuses a file that does not hold a mapping', () => {
    const file = writeFile('list.yaml', '- a\n- b\n');
    expect(configErrorOf({ file }).message).toMatch(/must hold a mapping.*a list/);
  });

  it('refuses a missing file and an unknown extension, naming the file', () => {
    const missing = join(dir, 'absent.yaml');
    expect(configErrorOf({ file: missing }).message).toContain(`cannot read config file ${missing}`);
    const toml = writeFile('node.toml', 'a = 1\n');
    expect(configErrorOf({ file: toml }).message).toContain('unsupported extension');
  });

  it('keeps a __proto__ key in a file as data and refuses it', () => {
    const file = writeFile('proto.json', '{"__proto__": {"production": true}}');
    const error = configErrorOf({ file });
    expect(error.key).toBe('__proto__');
    expect(({} as { production?: unknown }).production).toBeUndefined();
  });

  it('takes the file from X0TTA6BL4_CONFIG when none is given', () => {
    const file = writeFile('from-env.yaml', 'logLevel: warn\n');
    expect(load({ env: { X0TTA6BL4_CONFIG: file } }).logLevel).toBe('warn');
    const other = writeFile('explicit.yaml', 'logLevel: error\n');
    expect(load({ file: other, env: { X0TTA6BL4_CONFIG: file } }).logLevel).toBe('error');
  });

  describe('environment', () => {
    it('maps top-level variables to keys, reading their types', () => {
      const config = load({
        env: {
          X0TTA6BL4_DATA_DIR: '/srv/node',
          X0TTA6BL4_PRODUCTION: '1',
          SPIFFE_ENDPOINT_SOCKET: 'unix:///run/spire/agent.sock',
          X0TTA6BL4_LOG_LEVEL: 'trace',
          X0TTA6BL4_CONTROL_SOCKET: '/run/x0tta6bl4.sock',
          X0TTA6BL4_SHUTDOWN_TIMEOUT_MS: '2500',
          PATH: '/usr/bin',
          X0TTA6BL4: 'not a config variable: no underscore after the prefix',
        },
      });
      expect(config.dataDir).toBe('/srv/node');
      expect(config.production).toBe(true);
      expect(config.logLevel).toBe('trace');
      expect(config.controlSocket).toBe('/run/x0tta6bl4.sock');
      expect(config.shutdownTimeoutMs).toBe(2500);
    });

    it.each([
      ['true', true],
      ['1', true],
      ['false', false],
      ['0', false],
    ])('reads X0TTA6BL4_PRODUCTION=%s as %s', (raw, expected) => {
      expect(load({ env: { X0TTA6BL4_PRODUCTION: raw, SPIFFE_ENDPOINT_SOCKET: 'unix:///run/spire/agent.sock' } }).production).toBe(expected);
    });

    it('takes the agent from SPIFFE_ENDPOINT_SOCKET unless the configuration names one, and production requires one', () => {
      expect(load({ env: { SPIFFE_ENDPOINT_SOCKET: 'unix:///run/spire/agent.sock' } }).identity.agentSocket).toBe('unix:///run/spire/agent.sock');
      expect(
        load({ env: { SPIFFE_ENDPOINT_SOCKET: 'unix:///run/spire/agent.sock', X0TTA6BL4_IDENTITY__AGENT_SOCKET: 'tcp://127.0.0.1:8081' } }).identity.agentSocket,
      ).toBe('tcp://127.0.0.1:8081');
      expect(load({}).identity.agentSocket).toBeUndefined();
      expect(() => load({ env: { X0TTA6BL4_PRODUCTION: 'true' } })).toThrow(/identity\.agentSocket: production mode requires a SPIRE agent/);
    });

    it('maps nested variables with a double underscore', () => {
      const config = load({
        env: {
          X0TTA6BL4_SUPERVISION__INTENSITY: '3',
          X0TTA6BL4_SUPERVISION__BACKOFF__JITTER: '0.5',
          X0TTA6BL4_SUPERVISION__LIVENESS_TIMEOUT_MS: '4000',
          X0TTA6BL4_MAILBOX__INFLIGHT_WINDOW: '16',
          X0TTA6BL4_ACTOR_HOSTS__PEER_LINK: 'inline',
        },
      });
      expect(config.supervision.intensity).toBe(3);
      expect(config.supervision.backoff.jitter).toBe(0.5);
      expect(config.supervision.livenessTimeoutMs).toBe(4000);
      expect(config.mailbox.inflightWindow).toBe(16);
      expect(config.actorHosts).toEqual({ 'peer-link': 'inline' });
    });

    it('refuses a bad boolean naming the variable', () => {
      const error = configErrorOf({ env: { X0TTA6BL4_PRODUCTION: 'yes' } });
      expect(error.key).toBe('production');
      expect(error.message).toContain('X0TTA6BL4_PRODUCTION');
      expect(error.message).toContain('"yes"');
    });

    it('refuses a non-number naming the variable', () => {
      const error = configErrorOf({ env: { X0TTA6BL4_SUPERVISION__INTENSITY: 'many' } });
      expect(error.key).toBe('supervision.intensity');
      expect(error.message).toContain('X0TTA6BL4_SUPERVISION__INTENSITY');
    });

    it('names the variable when the schema refuses its value', () => {
      const error = configErrorOf({ env: { X0TTA6BL4_SUPERVISION__INTENSITY: '-2', X0TTA6BL4_LOG_LEVEL: 'loud' } });
      expect(error.message).toContain('(from env X0TTA6BL4_SUPERVISION__INTENSITY)');
      expect(error.message).toContain('(from env X0TTA6BL4_LOG_LEVEL)');
    });

    it.each([
      ['X0TTA6BL4_LOG_LEVL', 'logLevl'],
      ['X0TTA6BL4_SUPERVISION__INTENSTY', 'supervision.intensty'],
      ['X0TTA6BL4_SUPERVISON__INTENSITY', 'supervison'],
      ['X0TTA6BL4_LOG_LEVEL__X', 'logLevel.x'],
    ])('refuses the unknown variable %s', (name, key) => {
      const error = configErrorOf({ env: { [name]: '1' } });
      expect(error.key).toBe(key);
      expect(error.message).toContain(`environment variable ${name}`);
    });

    it('refuses a variable that names a group of settings', () => {
      const error = configErrorOf({ env: { X0TTA6BL4_SUPERVISION: '3' } });
      expect(error.message).toContain('X0TTA6BL4_SUPERVISION__<KEY>');
    });

    it('refuses a malformed variable name', () => {
      const error = configErrorOf({ env: { X0TTA6BL4_SUPERVISION___INTENSITY: '3' } });
      expect(error.message).toContain('X0TTA6BL4_SUPERVISION___INTENSITY');
    });
  });

  describe('flags', () => {
    it('accept camelCase keys, nested objects and dotted keys, reading strings as the schema wants', () => {
      const config = load({
        flags: {
          logLevel: 'warn',
          production: 'true',
          'identity.agentSocket': 'unix:///run/spire/agent.sock',
          'supervision.intensity': '7',
          mailbox: { capacity: 32 },
          dataDir: undefined,
        },
      });
      expect(config.logLevel).toBe('warn');
      expect(config.production).toBe(true);
      expect(config.supervision.intensity).toBe(7);
      expect(config.mailbox.capacity).toBe(32);
      expect(config.dataDir).toBe(join(dir, 'data'));
    });

    it('name the flag of a bad value', () => {
      const error = configErrorOf({ flags: { 'mailbox.capacity': 'lots' } });
      expect(error.key).toBe('mailbox.capacity');
      expect(error.message).toContain('(from flag mailbox.capacity)');
    });

    it('refuse unknown keys', () => {
      expect(configErrorOf({ flags: { verbose: true } }).key).toBe('verbose');
    });
  });

  describe('precedence', () => {
    it('is file < env < flags, key by key', () => {
      const file = writeFile(
        'node.yaml',
        ['logLevel: warn', 'dataDir: /from/file', 'supervision:', '  intensity: 1', '  periodMs: 1111', ''].join('\n'),
      );
      const env = { X0TTA6BL4_LOG_LEVEL: 'error', X0TTA6BL4_SUPERVISION__INTENSITY: '2' };

      const fromFile = load({ file });
      expect(fromFile.logLevel).toBe('warn');

      const withEnv = load({ file, env });
      expect(withEnv.logLevel).toBe('error');
      expect(withEnv.supervision.intensity).toBe(2);
      expect(withEnv.supervision.periodMs).toBe(1111);
      expect(withEnv.dataDir).toBe('/from/file');

      const withFlags = load({ file, env, flags: { logLevel: 'debug' } });
      expect(withFlags.logLevel).toBe('debug');
      expect(withFlags.supervision.intensity).toBe(2);
      expect(withFlags.supervision.periodMs).toBe(1111);
    });

    it('blames the source whose value is in effect', () => {
      const file = writeFile('node.yaml', 'logLevel: debug\n');
      const error = configErrorOf({ file, env: { X0TTA6BL4_LOG_LEVEL: 'loud' } });
      expect(error.message).toContain('X0TTA6BL4_LOG_LEVEL');
      expect(error.message).not.toContain(file);
    });
  });
});

describe('loadConfig blame', () => {
  it('does not blame a source that only set a sibling key', () => {
    const file = writeFile('node.yaml', 'supervision:\n  intensity: -1\n');
    const error = configErrorOf({ file, env: { X0TTA6BL4_SUPERVISION__PERIOD_MS: '5000' } });
    expect(error.key).toBe('supervision.intensity');
    expect(error.message).toContain(`from file ${file} line 2`);
    expect(error.message).not.toContain('X0TTA6BL4_SUPERVISION__PERIOD_MS');
  });

  it('blames a value that replaced a whole group', () => {
    const file = writeFile('node.yaml', 'supervision:\n  intensity: 2\n');
    const error = configErrorOf({ file, flags: { supervision: 'none' } });
    expect(error.key).toBe('supervision');
    expect(error.message).toContain('(from flag supervision)');
  });
});
