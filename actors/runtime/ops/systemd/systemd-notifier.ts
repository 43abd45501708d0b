/**
 * The sd_notify protocol (systemd's NOTIFY_SOCKET): newline-separated assignments in one
 * datagram to the unix socket systemd names in the environment, sent through unix-dgram (Node has
 * no datagram unix sockets). Without NOTIFY_SOCKET (not started by systemd, or Type= is not notify)
 * every call is a no-op. An abstract socket (`@name`) cannot be addressed through unix-dgram:
 * notification is then off, and `unavailable` says so for the log.
 */
import unix, { type UnixDgramSocket } from 'unix-dgram';

export class SystemdNotifier {
  private readonly socket: UnixDgramSocket | undefined;
  /** Why notifications are off, when NOTIFY_SOCKET is set but cannot be used. */
  readonly unavailable: string | undefined;
  private failures = 0;

  constructor(
    private readonly path: string | undefined,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    if (path === undefined || path === '') return;
    if (path.startsWith('@')) {
      this.unavailable = `NOTIFY_SOCKET ${path} is an abstract socket, which unix-dgram cannot address`;
      return;
    }
    this.socket = unix.createSocket('unix_dgram');
    this.socket.on('error', (error: Error) => {
      this.failures++;
      this.onError(error);
    });
  }

  static fromEnvironment(onError?: (error: Error) => void): SystemdNotifier {
    return new SystemdNotifier(process.env['NOTIFY_SOCKET'], onError);
  }

  get enabled(): boolean {
    return this.socket !== undefined;
  }

  /** Sends `KEY=value` lines as one datagram (READY=1, STATUS=…, WATCHDOG=1, STOPPING=1). */
  notify(assignments: Record<string, string>): void {
    if (!this.socket || !this.path) return;
    // A value may not contain a newline: it would start another assignment.
    const text = Object.entries(assignments)
      .map(([key, value]) => `${key}=${value.replace(/\n/g, ' ')}`)
      .join('\n');
    const message = Buffer.from(text, 'utf8');
    this.socket.send(message, 0, message.length, this.path, (error?: Error) => {
      if (error) {
        this.failures++;
        this.onError(error);
      }
    });
  }

  get sendFailures(): number {
    return this.failures;
  }

  close(): void {
    this.socket?.close();
  }
}

/** The watchdog interval systemd asks for (WATCHDOG_USEC), when it is meant for this process (WATCHDOG_PID). */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): number | undefined {
  const usec = Number(env['WATCHDOG_USEC']);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  const target = env['WATCHDOG_PID'];
  if (target !== undefined && target !== '' && Number(target) !== pid) return undefined;
  return Math.floor(usec / 1000);
}
