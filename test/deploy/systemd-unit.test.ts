/**
 * deploy/x0tta6bl4.service passes `systemd-analyze verify` without a warning, says what the node
 * relies on, is hardened to an exposure of at most 2.0 (`systemd-analyze security`), and runs the
 * node in production mode.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HEAP_FLAGS } from '../../actors/runtime/config/heap-flags.js';

const UNIT = fileURLToPath(new URL('../../../deploy/x0tta6bl4.service', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../../../package.json', import.meta.url));

describe('the systemd unit', () => {
  it('passes systemd-analyze verify with no warning', () => {
    const result = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });

  it('would catch a broken directive (the check is not vacuous)', () => {
    const broken = readFileSync(UNIT, 'utf8').replace('WatchdogSec=10s', 'WatchdogSec=ten');
    const result = spawnSync('bash', ['-c', 'f=$(mktemp --suffix=.service) && cat > "$f" && systemd-analyze verify "$f"; rc=$?; rm -f "$f"; exit $rc'], { input: broken, encoding: 'utf8' });
    expect(result.stderr).toContain('Failed to parse sec value');
  });

  it('is a notify service with the watchdog, state and runtime directories, restart policy, its own user and no capabilities', () => {
    const unit = readFileSync(UNIT, 'utf8');
    for (const line of [
      'Type=notify',
      'NotifyAccess=main',
      'WatchdogSec=10s',
      'Restart=on-failure',
      'RestartPreventExitStatus=2 70 78',
      'StateDirectory=x0tta6bl4',
      'RuntimeDirectory=x0tta6bl4',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'NoNewPrivileges=yes',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
      'CapabilityBoundingSet=',
      'AmbientCapabilities=',
      'User=x0tta6bl4',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
    // The exit codes it refuses to restart on are the CLI's own.
    const codes = execFileSync(process.execPath, ['-e', "import('./dist/cli/exit-codes.js').then((c) => console.log(c.EXIT_CONFIG, c.EXIT_SELF_TEST, c.EXIT_STORE_REFUSED))"], { encoding: 'utf8' }).trim();
    expect(codes).toBe('2 70 78');
  });

  it('is hardened to an exposure of at most 2.0, and the measure would see a weaker unit', () => {
    const exposure = (unitText: string): number => {
      const result = spawnSync('bash', ['-c', 'd=$(mktemp -d) && cat > "$d/x0tta6bl4.service" && systemd-analyze security --offline=true --no-pager "$d/x0tta6bl4.service"; rc=$?; rm -rf "$d"; exit $rc'], {
        input: unitText,
        encoding: 'utf8',
      });
      const match = /Overall exposure level for x0tta6bl4\.service: (\d+\.\d)/.exec(`${result.stdout}${result.stderr}`);
      if (!match) throw new Error(`no exposure level in: ${result.stdout}${result.stderr}`);
      return Number(match[1]);
    };
    const unit = readFileSync(UNIT, 'utf8');
    expect(exposure(unit)).toBeLessThanOrEqual(2.0);
    // The same unit without its system call filter and private user namespace scores worse: the check reads the directives.
    const weaker = unit.replace(/^SystemCallFilter=.*$/gm, '').replace('PrivateUsers=yes', '');
    expect(exposure(weaker)).toBeGreaterThan(exposure(unit));
  });

  it('runs the node in production mode: with no SPIRE agent configured it refuses to start, naming the setting', () => {
    const unit = readFileSync(UNIT, 'utf8');
    const environment = Object.fromEntries(
      [...unit.matchAll(/^Environment=([A-Z0-9_]+)=(.*)$/gm)].map((match) => [match[1]!, match[2]!]),
    );
    expect(environment['X0TTA6BL4_PRODUCTION']).toBe('true');
    const dataDir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-unit-'));
    try {
      const { SPIFFE_ENDPOINT_SOCKET: _agent, ...inherited } = process.env;
      const result = spawnSync(process.execPath, ['dist/cli/main.js', 'run'], {
        env: { ...inherited, ...environment, X0TTA6BL4_DATA_DIR: dataDir },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('identity.agentSocket: production mode requires a SPIRE agent');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('starts Node with the heap bound of every thread, the same flags as npm start and npm run bench', () => {
    const execStart = readFileSync(UNIT, 'utf8').split('\n').find((line) => line.startsWith('ExecStart='));
    const { start, bench } = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { scripts: { start: string; bench: string } }).scripts;
    const flagsOf = (command: string) => command.split(/\s+/).filter((word) => word.startsWith('--max-'));
    expect(flagsOf(execStart ?? '')).toEqual(HEAP_FLAGS);
    expect(flagsOf(start)).toEqual(HEAP_FLAGS);
    // The benchmarks that host the runtime in their own process measure it under the same bound.
    expect(flagsOf(bench)).toEqual(HEAP_FLAGS);
    // The flags come before the script: after it, they would be the CLI's arguments.
    expect(execStart).toMatch(/^ExecStart=\/usr\/bin\/node (--max-\S+ )+\/opt\/x0tta6bl4\/dist\/cli\/main\.js run /);
    expect(start).toMatch(/^node (--max-\S+ )+dist\/cli\/main\.js run$/);
  });
});
