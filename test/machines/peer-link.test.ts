/**
 * The peer-link statechart on its own: it waits for the SVID, forwards `mesh.send` to the
 * transport, turns the transport's deliveries into `mesh.recv` and its reports into
 * `mesh.links` carrying the phase. The transport here is a callback actor standing in for the
 * TLS one (which the transport and process tests run for real).
 */
import { NO_MEMBERS } from '../../lib/mesh/membership-state.js';
import { NO_END_TO_END } from '../../lib/mesh/end-to-end-state.js';
import { NO_ROUTES } from '../../lib/mesh/routing-state.js';
import { createActor, fromCallback, type AnyEventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { createPeerLinkMachine, type PeerLinkEvent } from '../../machines/peer-link.js';
import type { BusEmitted } from '../../lib/bus/bus-emitted.js';

function run() {
  const toTransport: AnyEventObject[] = [];
  let sendBack: ((event: PeerLinkEvent) => void) | undefined;
  const transport = fromCallback<AnyEventObject>(({ sendBack: back, receive }) => {
    sendBack = back as (event: PeerLinkEvent) => void;
    receive((event) => toTransport.push(event));
  });
  const actor = createActor(createPeerLinkMachine(transport));
  const published: Array<{ topic: string; payload: unknown }> = [];
  actor.on('bus.publish', (event) => published.push({ topic: (event as BusEmitted & { topic: string }).topic, payload: (event as { payload: unknown }).payload }));
  actor.start();
  return { actor, toTransport, published, fromTransport: (event: PeerLinkEvent) => sendBack!(event) };
}

const state = { links: [], refused: 0, handshakeFailures: 0, unroutable: 0, readHolds: 0, readingHeld: false, shed: { 'per-address': 0, 'listener-full': 0, 'per-peer': 0 }, rejectedPayloads: { 'not-json': 0, 'too-deep': 0 }, unknownControl: 0, silentPeers: 0, localHealth: 0, membership: NO_MEMBERS, routing: NO_ROUTES, endToEnd: NO_END_TO_END, pq: { handshakes: 0, rekeys: 0, failures: {}, lastHandshakeMs: 0, handshakeSeconds: { cumulative: [], sum: 0 } } };

describe('peer-link machine', () => {
  it('reports waiting for the SVID, then serving, with every transport report', () => {
    const { actor, published, fromTransport } = run();
    expect(actor.getSnapshot().value).toBe('waitingForSvid');
    fromTransport({ type: 'transport.ready' });
    expect(actor.getSnapshot().value).toBe('serving');
    fromTransport({ type: 'transport.state', state: { ...state, listening: '127.0.0.1:7400' } });
    expect(published.map((p) => p.topic)).toEqual(['mesh.links', 'mesh.links', 'mesh.links']);
    expect(published.map((p) => (p.payload as { phase: string }).phase)).toEqual(['waitingForSvid', 'serving', 'serving']);
    expect(published[2]!.payload).toMatchObject({ listening: '127.0.0.1:7400' });
  });

  it('forwards sends to the transport, before and after the SVID, and deliveries to the bus', () => {
    const { actor, published, toTransport, fromTransport } = run();
    const send = (n: number) => ({ type: 'mesh.send' as const, payload: { to: 'spiffe://mesh.test/node/b', topic: 't', payload: { n } } });
    actor.send(send(1));
    fromTransport({ type: 'transport.ready' });
    actor.send(send(2));
    expect(toTransport).toEqual([send(1), send(2)]);
    published.length = 0;
    fromTransport({ type: 'transport.received', message: { from: 'spiffe://mesh.test/node/b', topic: 't', payload: { n: 3 } } });
    expect(published).toEqual([{ topic: 'mesh.recv', payload: { from: 'spiffe://mesh.test/node/b', topic: 't', payload: { n: 3 } } }]);
  });

  it('says why when the transport failed', () => {
    const { actor, published, fromTransport } = run();
    fromTransport({ type: 'transport.failed', reason: 'Error: listen EADDRINUSE' });
    expect(actor.getSnapshot().value).toBe('failed');
    expect(published.at(-1)!.payload).toMatchObject({ phase: 'failed', reason: 'Error: listen EADDRINUSE' });
  });
});
