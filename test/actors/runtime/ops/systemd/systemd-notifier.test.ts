/** The sd_notify client against a real unix datagram socket, and the watchdog environment. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemdNotifier, watchdogIntervalMs } from '../../../../../actors/runtime/ops/systemd/systemd-notifier.js';
import { until } from '../../../../helpers/wait.js';
import { listenForNotifications } from '../../../../helpers/notify-socket.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function listen(): { path: string; messages: string[] } {
  const socket = listenForNotifications();
  cleanups.push(() => socket.close());
  return socket;
}

describe('systemd notifier', () => {
  it('sends newline-separated assignments in one datagram, one line each', async () => {
    const { path, messages } = listen();
    const notifier = new SystemdNotifier(path);
    cleanups.push(() => notifier.close());
    expect(notifier.enabled).toBe(true);
    notifier.notify({ READY: '1', STATUS: 'two\nlines' });
    notifier.notify({ WATCHDOG: '1' });
    await until('both datagrams', () => messages.length === 2, 5_000, 5);
    expect(messages).toEqual(['READY=1\nSTATUS=two lines', 'WATCHDOG=1']);
  });

  it('is a no-op without NOTIFY_SOCKET, off (saying why) for an abstract socket, and reports a send to nowhere', async () => {
    expect(new SystemdNotifier(undefined).enabled).toBe(false);
    new SystemdNotifier(undefined).notify({ READY: '1' });
    const abstract = new SystemdNotifier('@/org/freedesktop/systemd1/notify');
    expect(abstract.enabled).toBe(false);
    expect(abstract.unavailable).toContain('abstract socket');
    const errors: Error[] = [];
    const nowhere = new SystemdNotifier(join(tmpdir(), 'x0tta6bl4-no-such-socket'), (error) => errors.push(error));
    cleanups.push(() => nowhere.close());
    nowhere.notify({ READY: '1' });
    await until('the send error', () => errors.length > 0, 5_000, 5);
    expect(nowhere.sendFailures).toBeGreaterThan(0);
  });

  it('reads the watchdog interval meant for this process', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '10000000' }, 42)).toBe(10_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '42' }, 42)).toBe(10_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '43' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({}, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42)).toBeUndefined();
  });
});
