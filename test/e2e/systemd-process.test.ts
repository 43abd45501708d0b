/**
 * A real node process under a stand-in for systemd's notify socket (a real unix datagram socket
 * the test binds): READY=1 with STATUS once the tree is up, WATCHDOG=1 every half interval, no
 * ping while the main loop is stuck, and STOPPING=1 at shutdown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import unix from 'unix-dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { reapAll, startProcess, TEST_NODE_MAIN } from '../helpers/node-process.js';
import { until } from '../helpers/wait.js';

let dir: string | undefined;
let close: (() => void) | undefined;
afterEach(async () => {
  await reapAll();
  close?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('systemd notification', () => {
  it('sends READY once the tree is up, pings the watchdog, stops pinging while the loop is stuck, and says STOPPING', async () => {
    dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-sd-'));
    const socketPath = join(dir, 'notify.sock');
    const received: Array<{ at: number; text: string }> = [];
    const server = unix.createSocket('unix_dgram', (message) => received.push({ at: Date.now(), text: message.toString('utf8') }));
    server.bind(socketPath);
    close = () => server.close();

    const node = startProcess([TEST_NODE_MAIN, JSON.stringify({ dataDir: join(dir, 'data'), actors: [{ id: 'a' }, { id: 'b' }] })], {
      env: { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '600000', X0TTA6BL4_TEST_BLOCK_MS: '2000' },
    });
    await node.waitForOutput('"msg":"ready"');
    await until('READY', () => received.some((m) => m.text.startsWith('READY=1')), 20_000);
    const ready = received.find((m) => m.text.startsWith('READY=1'))!;
    expect(received.indexOf(ready)).toBe(0);
    expect(ready.text).toBe('READY=1\nSTATUS=2/2 actors running');

    await until('three pings', () => received.filter((m) => m.text.startsWith('WATCHDOG=1')).length >= 3, 20_000);
    const pings = () => received.filter((m) => m.text.startsWith('WATCHDOG=1')).map((m) => m.at);
    const before = pings();
    // Every half interval (300 ms), give or take a loaded machine.
    const gaps = before.slice(1).map((at, i) => at - before[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200);

    // A stuck main loop sends nothing: the gap spans the 2 s block.
    node.child.kill('SIGUSR2');
    const blockedAt = Date.now();
    await until('pings after the block', () => pings().filter((at) => at > blockedAt + 1_900).length >= 2, 15_000);
    const during = pings().filter((at) => at > blockedAt + 50 && at < blockedAt + 1_900);
    expect(during).toEqual([]);

    node.kill('SIGTERM');
    expect(await node.exited).toBe(0);
    await until('STOPPING', () => received.some((m) => m.text.startsWith('STOPPING=1')), 20_000);
    const stopping = received.findIndex((m) => m.text.startsWith('STOPPING=1'));
    expect(received.slice(stopping + 1).filter((m) => m.text.startsWith('WATCHDOG=1'))).toEqual([]);
  }, 60_000);
});
