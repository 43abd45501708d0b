/** A unix datagram socket standing in for systemd's notification socket: every datagram it receives is kept, as text. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import unix from 'unix-dgram';

export interface NotifySocket {
  path: string;
  messages: string[];
  close(): void;
}

export function listenForNotifications(): NotifySocket {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-notify-'));
  const path = join(dir, 'notify.sock');
  const messages: string[] = [];
  const server = unix.createSocket('unix_dgram', (message) => messages.push(message.toString('utf8')));
  server.bind(path);
  return {
    path,
    messages,
    close() {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
