/** Readiness and the watchdog's health from the supervision tree. */
import { describe, expect, it } from 'vitest';
import type { ActorStatus, IdentityStatus, TreeNodeStatus } from '../../../../actors/runtime/ops/node-status.js';
import { readiness, statusLine, TreeWatch, type NodePhase } from '../../../../actors/runtime/ops/tree-health.js';
import { standingSummaries, standingVerdicts } from '../../../../actors/runtime/ops/standings.js';

const mailbox = { depth: 0, inflight: 0, capacity: 10, dropped: 0, rejected: 0, blocked: 0, accepted: 0, processed: 0 };
const actor = (id: string, state: ActorStatus['state'] = 'running'): ActorStatus => ({ kind: 'actor', id, host: 'worker', state, machineState: 'x', restarts: 0, mailbox });
const tree = (...children: ActorStatus[]): TreeNodeStatus => ({ kind: 'supervisor', id: 'root', strategy: 'one_for_one', restarts: 0, children: [{ kind: 'supervisor', id: 'security', strategy: 'rest_for_one', restarts: 0, children }] });
const identity = (status: IdentityStatus['status']): IdentityStatus => ({ status, mode: 'embedded', endpoint: 'embedded', updates: status === 'ready' ? 1 : 0, rejected: 0, ...(status === 'ready' ? { spiffeId: 'spiffe://t/node/a' } : { reason: 'Unavailable: no agent' }) });

/** The latest states as the node would keep them: identity's and the mesh's, when given. */
const latest = (identityState: IdentityStatus | undefined, mesh?: unknown) => (topic: string) => (topic === 'identity.state' ? identityState : topic === 'mesh.links' ? mesh : undefined);
/** Readiness from the registered standings, as /ready computes it. */
const ready = (phase: NodePhase, root: TreeNodeStatus | undefined, identityState: IdentityStatus | undefined) => readiness(phase, root, standingVerdicts(latest(identityState)));

describe('readiness', () => {
  it('is ready only when running, every actor runs, and an identity actor holds its SVID', () => {
    expect(ready('starting', undefined, undefined)).toEqual({ ok: false, reason: 'the node is starting' });
    expect(ready('running', tree(actor('a'), actor('b', 'restarting')), undefined)).toEqual({ ok: false, reason: 'not running: b (restarting)' });
    expect(ready('running', tree(actor('identity')), identity('waiting'))).toEqual({ ok: false, reason: 'no SVID yet: identity is waiting (Unavailable: no agent)' });
    expect(ready('running', tree(actor('identity')), undefined).reason).toBe('no SVID yet: identity is connecting');
    expect(ready('running', tree(actor('identity'), actor('a')), identity('ready'))).toEqual({ ok: true, reason: 'ready: 2 actors running, spiffe://t/node/a' });
    expect(ready('running', tree(actor('a')), undefined)).toEqual({ ok: true, reason: 'ready: 1 actors running' });
    expect(ready('stopping', tree(actor('a')), undefined).ok).toBe(false);
  });
});

describe('watchdog health', () => {
  it('tolerates a restart within the grace, not an actor stuck away from running or given up on', () => {
    const watch = new TreeWatch(1_000);
    expect(watch.check('running', tree(actor('a')), 0).ok).toBe(true);
    expect(watch.check('running', tree(actor('a', 'restarting')), 100).ok).toBe(true);
    expect(watch.check('running', tree(actor('a', 'starting')), 1_000).ok).toBe(true);
    expect(watch.check('running', tree(actor('a', 'starting')), 1_200)).toEqual({ ok: false, reason: 'stuck: a starting for 1 s' });
    expect(watch.check('running', tree(actor('a')), 1_300).ok).toBe(true);
    // Back to running resets the clock.
    expect(watch.check('running', tree(actor('a', 'restarting')), 5_000).ok).toBe(true);
    expect(watch.check('running', tree(actor('a', 'failed')), 5_100)).toEqual({ ok: false, reason: 'stuck: a failed' });
    expect(watch.check('running', tree(actor('a', 'stopped')), 5_200).ok).toBe(true);
    expect(watch.check('starting', tree(actor('a', 'starting')), 9_000).ok).toBe(true);
    expect(watch.check('stopping', tree(actor('a')), 9_000).ok).toBe(false);
  });
});

describe('systemd status line', () => {
  it('sums up actors, identity and links in one line', () => {
    const membership = { members: [{ state: 'alive' }, { state: 'left' }, { state: 'alive' }], learned: 3, stale: 0, refused: {} };
    const mesh = { phase: 'serving' as const, links: [{ status: 'up' }, { status: 'connecting' }], refused: 0, handshakeFailures: 0, unroutable: 0, membership, routing: { routes: [{ destination: 'spiffe://t/node/b' }] } } as never;
    expect(statusLine('running', tree(actor('identity'), actor('b', 'restarting')), standingSummaries(latest(identity('ready'), mesh)))).toBe(
      '1/2 actors running, identity spiffe://t/node/a, 1/2 links up, 2 members known alive, 1 route',
    );
    expect(statusLine('running', tree(actor('a')), standingSummaries(latest(identity('waiting'))))).toBe('1/1 actors running, identity waiting');
    expect(statusLine('stopping', tree(actor('a')), standingSummaries(latest(undefined)))).toBe('stopping');
  });
});
