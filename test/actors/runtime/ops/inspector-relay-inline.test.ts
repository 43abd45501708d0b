/**
 * The XState inspector relay of a node in this process, with its actors inline (the inline host
 * forwards inspection events directly; test/e2e/inspector-process.test.ts covers worker threads):
 * a WebSocket client, as Stately's inspector page is one, receives the chosen actors' events only.
 */
import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../helpers/free-port.js';
import { connectInspector } from '../../../helpers/inspector-client.js';
import { COUNTER_ACTOR } from '../../../fixtures/fixture-paths.js';
import { startTestNode, type TestNode } from '../../../helpers/test-node.js';
import { until } from '../../../helpers/wait.js';

let running: TestNode | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await running?.cleanup();
  running = undefined;
});

describe('inspector relay', () => {
  it('relays the inspection events of the inspected inline actors, and of no other', async () => {
    const port = await freePort();
    running = await startTestNode({
      children: [
        { kind: 'actor', id: 'a', module: COUNTER_ACTOR, subscribes: ['test.increment'], host: 'inline' },
        { kind: 'actor', id: 'b', module: COUNTER_ACTOR, host: 'inline' },
      ],
      ops: { inspector: { port, actors: ['a'] } },
    });
    const started = running.logs.find((line) => line.msg.startsWith('XState inspector relay')) as { url?: string } | undefined;
    expect(started?.url).toBeDefined();
    const { socket: client, events } = await connectInspector(new URL(started!.url!));
    sockets.push(client);
    const received = (type: string, n?: number) =>
      events.some((event) => event.type === '@xstate.event' && event.event?.type === type && (n === undefined || event.event.payload?.n === n));
    // The client may connect after a first event went by: publish until one reaches it.
    for (let n = 0; !received('test.increment'); n++) {
      await running.node.publish('test.increment', { sender: 's', n });
      await until('an inspection event', () => received('test.increment'), 1_000, 5).catch(() => undefined);
      if (n > 20) throw new Error(`no test.increment event among ${events.length}: ${JSON.stringify(events.slice(0, 3))}`);
    }
    // b is asked, then a: had b's machine been inspected, its event would reach the client before a's.
    expect(await running.node.request('b', 'test.get', {})).toEqual({ count: 0 });
    await running.node.publish('test.increment', { sender: 's', n: 1_000 });
    await until("a's last event", () => received('test.increment', 1_000), 10_000, 5);
    expect(events.some((event) => event.type === '@xstate.snapshot')).toBe(true);
    expect(received('test.get')).toBe(false);
  });
});
