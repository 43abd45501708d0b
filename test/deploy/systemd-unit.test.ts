/** deploy/x0tta6bl4.service passes `systemd-analyze verify` without a warning, and says what the node relies on. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const UNIT = fileURLToPath(new URL('../../../deploy/x0tta6bl4.service', import.meta.url));

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

  it('is a notify service with the watchdog, state and runtime directories, restart policy and a minimal capability set', () => {
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
      'CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_NET_ADMIN',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
    // The exit codes it refuses to restart on are the CLI's own.
    const codes = execFileSync(process.execPath, ['-e', "import('./dist/cli/exit-codes.js').then((c) => console.log(c.EXIT_CONFIG, c.EXIT_SELF_TEST, c.EXIT_STORE_REFUSED))"], { encoding: 'utf8' }).trim();
    expect(codes).toBe('2 70 78');
  });
});
