/**
 * What the node tells systemd (sd_notify): READY=1 once the tree is up, STATUS= a one-line
 * summary, WATCHDOG=1 while the tree is healthy, STOPPING=1 at shutdown. The watchdog ping is a
 * timer on the main event loop, so a stuck loop stops it by itself; a tree stuck away from
 * `running` stops it through TreeWatch. Without NOTIFY_SOCKET every call is a no-op.
 */
import type { Logger } from '../../actor-kit/logger.js';
import type { TreeNodeStatus } from '../node-status.js';
import { TreeWatch, type NodePhase } from '../tree-health.js';
import { SystemdNotifier, watchdogIntervalMs } from './systemd-notifier.js';

/** Grace for an actor away from `running` when systemd asks for no watchdog (only STATUS= then shows it). */
const DEFAULT_STUCK_GRACE_MS = 10_000;

export interface SystemdReporting {
  /** The tree is up: READY=1, and the watchdog starts. */
  started(): void;
  /** Shutdown began: STOPPING=1, no more pings. */
  stopping(): void;
  close(): void;
}

export function startSystemdReporting(options: { log: Logger; phase(): NodePhase; tree(): TreeNodeStatus; summary(): string }): SystemdReporting {
  const { log } = options;
  const notifier = SystemdNotifier.fromEnvironment((error) => log.warn({ err: error }, 'systemd notification failed'));
  if (notifier.unavailable) log.warn({ reason: notifier.unavailable }, 'systemd notification is off');
  const intervalMs = watchdogIntervalMs();
  let watchdog: ReturnType<typeof setInterval> | undefined;
  // Stuck: an actor away from `running` for longer than systemd waits for a ping.
  const watch = new TreeWatch(intervalMs ?? DEFAULT_STUCK_GRACE_MS);
  let lastVerdict = '';

  return {
    started() {
      notifier.notify({ READY: '1', STATUS: options.summary() });
      if (!notifier.enabled || intervalMs === undefined) return;
      // Half the interval, as sd_watchdog_enabled(3) advises: one late ping is not a restart. OS time:
      // systemd's watchdog counts real seconds.
      watchdog = setInterval(() => {
        const verdict = watch.check(options.phase(), options.tree(), Date.now());
        if (verdict.ok) notifier.notify({ WATCHDOG: '1', STATUS: options.summary() });
        else notifier.notify({ STATUS: `unhealthy, ${verdict.reason}` });
        if (verdict.reason !== lastVerdict && !verdict.ok) log.error({ reason: verdict.reason }, 'the tree is stuck: withholding the systemd watchdog ping');
        lastVerdict = verdict.reason;
      }, Math.max(1, Math.floor(intervalMs / 2)));
      watchdog.unref();
      log.info({ watchdogMs: intervalMs }, 'systemd watchdog enabled');
    },
    stopping() {
      clearInterval(watchdog);
      notifier.notify({ STOPPING: '1', STATUS: 'stopping' });
    },
    close() {
      clearInterval(watchdog);
      notifier.close();
    },
  };
}
