/**
 * A worker's control calls, client and server joined by a MessageChannel (the same code as across
 * a thread, without one): results, errors rebuilt into their class, calls handled in arrival order,
 * refused requests, malformed replies, and calls failed when the thread is gone.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ThreadControlClient } from '../../../../actors/runtime/host/thread-control-client.js';
import { serveThreadControl } from '../../../../actors/runtime/host/worker/thread-control-server.js';
import { loadProtocolChecks } from '../../../../actors/runtime/host/worker/thread-protocol-checks.js';
import { protocolCheckSources } from '../../../../actors/runtime/host/thread-protocol-validation.js';
import type { WorkerControl } from '../../../../actors/runtime/host/worker/worker-control.js';
import { ActorDefinitionError, WorkerExitedError } from '../../../../actors/runtime/errors.js';

const checks = loadProtocolChecks(protocolCheckSources());
let ports: MessagePort[] = [];
afterEach(() => {
  for (const port of ports) port.close();
  ports = [];
});

/**
 * A control whose calls record their order: a preparation finishes only once hello has been
 * called (a server that waited for one call to end before taking the next would never answer),
 * and `start` fails the way a module without a definition does.
 */
function fakeControl(order: string[]): WorkerControl {
  let helloCalled: () => void = () => undefined;
  const hello = new Promise<void>((resolve) => (helloCalled = resolve));
  return {
    hello: async () => {
      order.push('hello');
      helloCalled();
      return 'ready';
    },
    prepare: async () => {
      order.push('prepare begun');
      await hello;
      order.push('prepare done');
    },
    start: async () => {
      order.push('start');
      throw new ActorDefinitionError('file:///actor.js', 'the default export has no createMachine function');
    },
    stop: async () => ({ ackedSeq: 3 }),
    snapshot: async () => ({ unclonable: () => undefined }),
    health: async () => {
      throw new Error('not asked');
    },
    inject: async () => undefined,
  };
}

function connect(order: string[]): { client: ThreadControlClient; server: MessagePort } {
  const channel = new MessageChannel();
  ports.push(channel.port1, channel.port2);
  serveThreadControl(channel.port2, fakeControl(order), checks.controlRequest);
  return { client: new ThreadControlClient(channel.port1, () => 'test-actor'), server: channel.port2 };
}

describe('thread control calls', () => {
  it('answer with results, and with thrown errors rebuilt into their class', async () => {
    const { client } = connect([]);
    expect(await client.control.stop()).toEqual({ ackedSeq: 3 });
    const failed = client.control.start({ actorId: 'a', module: 'file:///actor.js', options: {}, databasePath: '/d', runId: 'r', throttleMs: 0 });
    await expect(failed).rejects.toBeInstanceOf(ActorDefinitionError);
    await expect(failed).rejects.toMatchObject({ modulePath: 'file:///actor.js' });
  });

  it('are handled in arrival order: a call sent after a preparation begins before the preparation ends', async () => {
    const order: string[] = [];
    const { client } = connect(order);
    const prepared = client.control.prepare({ warmUp: false });
    await client.control.hello();
    await prepared;
    expect(order).toEqual(['prepare begun', 'hello', 'prepare done']);
  });

  it('fail a call whose result cannot cross the thread boundary, not the thread', async () => {
    const { client } = connect([]);
    await expect(client.control.snapshot()).rejects.toMatchObject({ name: 'DataCloneError' });
    expect(await client.control.hello()).toBe('ready');
  });

  it('refuse a request that is not a control call with a ProtocolViolationError when it names a call', async () => {
    const channel = new MessageChannel();
    ports.push(channel.port1, channel.port2);
    serveThreadControl(channel.port2, fakeControl([]), checks.controlRequest);
    const replies: unknown[] = [];
    channel.port1.on('message', (reply: unknown) => replies.push(reply));
    channel.port1.postMessage({ id: 7, method: 'constructor', args: [] });
    channel.port1.postMessage({ method: 'hello', args: [] });
    channel.port1.postMessage({ id: 8, method: 'hello', args: [] });
    await new Promise<void>((resolve) => channel.port1.once('message', () => channel.port1.once('message', () => resolve())));
    expect(replies).toEqual([
      { id: 7, ok: false, error: expect.objectContaining({ name: 'ProtocolViolationError' }) },
      { id: 8, ok: true, value: 'ready' },
    ]);
  });

  it('fail the waiting call that a malformed reply names, and every waiting call when the thread is gone', async () => {
    const channel = new MessageChannel();
    ports.push(channel.port1, channel.port2);
    const client = new ThreadControlClient(channel.port1, () => 'test-actor');
    channel.port2.on('message', (request: { id: number; method: string }) => {
      if (request.method === 'hello') channel.port2.postMessage({ id: request.id, ok: 'yes' });
    });
    await expect(client.control.hello()).rejects.toMatchObject({ name: 'ProtocolViolationError' });
    const waiting = client.control.health();
    client.failPending(new WorkerExitedError('test-actor', 'thread exited with code 1'));
    await expect(waiting).rejects.toBeInstanceOf(WorkerExitedError);
  });
});
