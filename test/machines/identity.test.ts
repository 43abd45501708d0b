/**
 * The identity statechart on its own, driven by an invoked Workload API stream the test controls
 * (the real stream and worker are exercised by test/actors/identity/): what it publishes on
 * `identity.state` for each thing the stream reports, a rejected update included.
 */
import { createActor, fromCallback, type EventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { createIdentityMachine, type IdentityEvent, type IdentityStateMessage } from '../../machines/identity.js';

function start() {
  let sendBack: ((event: IdentityEvent) => void) | undefined;
  let streams = 0;
  const workloadApi = fromCallback<EventObject>(({ sendBack: send }) => {
    streams++;
    sendBack = send as (event: IdentityEvent) => void;
  });
  const actor = createActor(createIdentityMachine(workloadApi, { mode: 'embedded', endpoint: 'unix:///run/x0tta6bl4/workload.sock' }));
  const published: IdentityStateMessage[] = [];
  actor.on('bus.publish', (emitted) => {
    if (emitted.type === 'bus.publish' && emitted.topic === 'identity.state') published.push(emitted.payload as IdentityStateMessage);
  });
  actor.start();
  const report = (event: IdentityEvent) => sendBack!(event);
  return { actor, published, report, streams: () => streams };
}

const update = { spiffeId: 'spiffe://mesh.local/node/a', trustDomain: 'mesh.local', expiresAt: 1_900_000_000_000, svids: 1 };

describe('identity machine', () => {
  it('announces connecting, then each state the stream reports, keeping the SVID it has while waiting again', () => {
    const { actor, published, report } = start();
    expect(published).toEqual([{ status: 'connecting', mode: 'embedded', endpoint: 'unix:///run/x0tta6bl4/workload.sock', updates: 0, rejected: 0 }]);
    report({ type: 'workload.waiting', reason: 'no agent yet', retryInMs: 1_000 });
    report({ type: 'workload.update', update });
    report({ type: 'workload.waiting', reason: 'stream closed', retryInMs: 500 });
    report({ type: 'workload.failed', reason: 'permission denied' });
    expect(published.slice(1)).toEqual([
      expect.objectContaining({ status: 'waiting', reason: 'no agent yet', updates: 0 }),
      expect.objectContaining({ status: 'ready', spiffeId: update.spiffeId, trustDomain: 'mesh.local', expiresAt: update.expiresAt, updates: 1 }),
      expect.objectContaining({ status: 'waiting', reason: 'stream closed', spiffeId: update.spiffeId, updates: 1 }),
      expect.objectContaining({ status: 'failed', reason: 'permission denied' }),
    ]);
    // A ready state carries no stale reason.
    expect(published[2]).not.toHaveProperty('reason');
    expect(actor.getSnapshot().value).toBe('failed');
    actor.stop();
  });

  it('counts a rejected update and says why, without leaving the state it is in', () => {
    const { actor, published, report } = start();
    report({ type: 'workload.rejected', reason: 'the SVID is of another trust domain' });
    expect(actor.getSnapshot().value).toBe('connecting');
    expect(published.at(-1)).toMatchObject({ status: 'connecting', rejected: 1, reason: 'an update was rejected: the SVID is of another trust domain' });
    report({ type: 'workload.update', update });
    report({ type: 'workload.rejected', reason: 'expired' });
    expect(actor.getSnapshot().value).toBe('ready');
    expect(published.at(-1)).toMatchObject({ status: 'ready', spiffeId: update.spiffeId, updates: 1, rejected: 2, reason: 'an update was rejected: expired' });
    actor.stop();
  });

  it('keeps one Workload API stream for its whole life, across every transition', () => {
    const { actor, report, streams } = start();
    report({ type: 'workload.update', update });
    report({ type: 'workload.waiting', reason: 'rotating', retryInMs: 10 });
    report({ type: 'workload.update', update: { ...update, svids: 2 } });
    expect(streams()).toBe(1);
    expect(actor.getSnapshot().context.updates).toBe(2);
    actor.stop();
  });
});
