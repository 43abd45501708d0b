/**
 * `run --inspect`: a WebSocket client of the inspector relay (as the relay's page in a browser is,
 * with the token from the URL the node logs and the page's Origin) receives the inspection events
 * of machines running in worker threads, and only those of the actors the configuration names.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { connectInspector, inspectorUrlIn } from '../helpers/inspector-client.js';
import { reapAll, startProcess, TEST_NODE_MAIN } from '../helpers/node-process.js';

let dir: string | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await reapAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('XState inspector', () => {
  it('relays inspection events of worker-hosted machines, of the chosen actors only', async () => {
    dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-inspect-'));
    const port = await freePort();
    const node = startProcess([
      TEST_NODE_MAIN,
      JSON.stringify({ dataDir: dir, actors: [{ id: 'a' }], mape: {}, config: { inspect: { enabled: true, port, actors: ['monitor'] } } }),
    ]);
    await node.waitForOutput('"msg":"ready"');
    const url = inspectorUrlIn(node.output());
    expect(url.port).toBe(String(port));
    const { socket: client, events } = await connectInspector(url);
    sockets.push(client);
    // The runtime samples once a second; the monitor (a worker) receives each sample.
    const deadline = Date.now() + 15_000;
    while (!events.some((event) => event.type === '@xstate.event' && event.event?.type === 'telemetry.sample')) {
      if (Date.now() > deadline) throw new Error(`no telemetry.sample event among ${events.length}: ${JSON.stringify(events.slice(0, 3))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(events.some((event) => event.type === '@xstate.snapshot')).toBe(true);
    // Only the monitor is inspected: the analyzer's telemetry.window never shows up as an event it received.
    const received = new Set(events.filter((event) => event.type === '@xstate.event').map((event) => event.event?.type));
    expect(received.has('telemetry.window')).toBe(false);
    node.kill('SIGTERM');
    expect(await node.exited).toBe(0);
  }, 60_000);
});
