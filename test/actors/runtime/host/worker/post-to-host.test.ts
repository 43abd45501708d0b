/**
 * A worker's message that the structured clone refuses never throws into the actor's turn and
 * never takes the rest of its batch down: over a real MessageChannel, a batch holding a publish
 * nested far deeper than the clone's stack and a reply holding a function delivers its other
 * messages and its acknowledgement, turns the reply into a reply-error, and reports both drops.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { postToHost } from '../../../../../actors/runtime/host/worker/post-to-host.js';
import type { WorkerToHost } from '../../../../../actors/runtime/host/thread-protocol.js';

/** An object nested `depth` levels deep: more than V8's serializer recursion can take. */
function nested(depth: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) value = { inner: value };
  return value;
}

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const channel of channels.splice(0)) {
    channel.port1.close();
    channel.port2.close();
  }
});

function received(post: (port: MessageChannel['port1']) => void): WorkerToHost[] {
  const channel = new MessageChannel();
  channels.push(channel);
  post(channel.port1);
  const messages: WorkerToHost[] = [];
  for (let queued = receiveMessageOnPort(channel.port2); queued; queued = receiveMessageOnPort(channel.port2)) messages.push(queued.message as WorkerToHost);
  return messages;
}

describe('postToHost', () => {
  it('a clone the port refuses really throws (the hazard this module exists for)', () => {
    const channel = new MessageChannel();
    channels.push(channel);
    expect(() => channel.port1.postMessage({ kind: 'out', batch: [{ kind: 'publish', topic: 't', payload: nested(200_000) }] })).toThrow();
  });

  it('sends a batch that clones as it is', () => {
    const message: WorkerToHost = { kind: 'out', batch: [{ kind: 'publish', topic: 'a', payload: { n: 1 } }], ack: 3 };
    expect(received((port) => postToHost(port, message))).toEqual([message]);
  });

  it('splits a batch that does not clone: the rest delivered in order, the reply answered with an error, each drop reported, the ack sent', () => {
    const messages = received((port) =>
      postToHost(port, {
        kind: 'out',
        batch: [
          { kind: 'publish', topic: 'before', payload: 1 },
          { kind: 'publish', topic: 'deep', payload: nested(200_000) },
          { kind: 'reply', requestId: 'r1', payload: { call: () => undefined } },
          { kind: 'publish', topic: 'after', payload: 2 },
        ],
        ack: 7,
      }),
    );
    expect(messages.map((message) => (message.kind === 'out' ? message.batch.map((out) => out.kind + ':' + (out.kind === 'publish' ? out.topic : out.requestId)).join() : message.kind))).toEqual([
      'publish:before',
      'dropped',
      'reply-error:r1',
      'dropped',
      'publish:after',
      'ack',
    ]);
    const drops = messages.filter((message) => message.kind === 'dropped');
    expect(drops[0]).toMatchObject({ detail: expect.stringMatching(/^a publish on 'deep' could not cross to the host: RangeError/) });
    expect(drops[1]).toMatchObject({ detail: expect.stringMatching(/^the reply to request 'r1' could not cross to the host: DataCloneError/) });
    expect(messages.at(-1)).toEqual({ kind: 'ack', seq: 7 });
  });

  it('reports any other message that does not clone, with a bounded detail', () => {
    const [report] = received((port) => postToHost(port, { kind: 'state', value: { deep: nested(200_000) } }));
    expect(report).toMatchObject({ kind: 'dropped', detail: expect.stringMatching(/^a 'state' message could not cross to the host: RangeError/) });
    expect((report as { detail: string }).detail.length).toBeLessThanOrEqual(400);
  });
});
