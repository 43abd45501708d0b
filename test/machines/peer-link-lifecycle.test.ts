/**
 * A peer link's lifecycle statechart on a virtual clock: the dialer's backoff between attempts,
 * its re-authentication before expiry or on request (retried while the old connection serves),
 * the acceptor's request to re-authenticate and its resume window, the delayed acknowledgement;
 * and the same seed giving the same trace of dials, delays and states, another seed another.
 */
import { createActor } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkRole } from '../../lib/mesh/links-state.js';
import { VirtualClock } from '../../lib/timing/virtual-clock.js';
import { seededRandom } from '../../lib/timing/seeded-random.js';
import type { Random } from '../../lib/timing/random.js';
import {
  createPeerLinkLifecycleMachine,
  linkPhase,
  PEER_REAUTH_MIN_INTERVAL_MS,
  REAUTH_ANSWER_MS,
  reauthDelayMs,
  REAUTH_MIN_LEAD_MS,
  type LinkLifecycleTiming,
} from '../../machines/peer-link-lifecycle.js';

const TIMING: LinkLifecycleTiming = { ackDelayMs: 20, reconnectMinMs: 100, reconnectMaxMs: 1_600, resumeWindowMs: 60_000 };
const hour = 3_600_000;
/** The middle of the jitter: every delay is its nominal value. */
const middle: Random = () => 0.5;

const running: Array<{ stop(): void }> = [];
afterEach(() => {
  for (const actor of running.splice(0)) actor.stop();
});

function link(role: LinkRole, random: Random = middle, clock: VirtualClock = new VirtualClock({ epochMs: 0 })) {
  const calls: string[] = [];
  const actor = createActor(
    createPeerLinkLifecycleMachine({
      role,
      clock,
      random,
      timing: TIMING,
      ports: {
        dial: () => calls.push(`dial@${clock.now()}`),
        reauthenticate: (reason) => calls.push(`reauth@${clock.now()}: ${reason}`),
        sendAck: () => calls.push(`ack@${clock.now()}`),
        forget: () => calls.push(`forget@${clock.now()}`),
        endUnanswered: () => calls.push(`end@${clock.now()}`),
      },
    }),
    { clock },
  );
  running.push(actor);
  actor.start();
  return { actor, clock, calls, phase: () => linkPhase(actor.getSnapshot()), context: () => actor.getSnapshot().context };
}

/** A connection bound now that lives for an hour: re-authentication is due after 45 minutes. */
const boundNow = (clock: VirtualClock) => ({ type: 'bound' as const, establishedAt: clock.now(), expiresAt: clock.now() + hour });

describe('peer-link lifecycle: dialer', () => {
  it('dials once started, backs off exponentially between failed attempts up to the maximum, and starts over once bound', () => {
    const { actor, clock, calls, phase, context } = link('dialer');
    expect(phase()).toBe('idle');
    expect(calls).toEqual([]);
    actor.send({ type: 'start' });
    expect(calls).toEqual(['dial@0']);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      actor.send({ type: 'dial.failed' });
      expect(phase()).toBe('retrying');
      delays.push(context().retryInMs);
      clock.advance(context().retryInMs - 1);
      expect(phase()).toBe('retrying');
      clock.advance(1);
      expect(phase()).toBe('dialing');
    }
    expect(delays).toEqual([100, 200, 400, 800, 1_600, 1_600]);
    actor.send(boundNow(clock));
    expect(phase()).toBe('up');
    expect(context()).toMatchObject({ attempts: 0, connections: 1, reauths: 0 });
    actor.send({ type: 'detached' });
    expect(phase()).toBe('retrying');
    expect(context().retryInMs).toBe(100);
  });

  it('re-authenticates on a new connection a quarter of its lifetime before expiry, and counts it once the replacement binds', () => {
    const { actor, clock, calls, phase, context } = link('dialer');
    actor.send({ type: 'start' });
    actor.send(boundNow(clock));
    calls.length = 0;
    clock.advance(0.75 * hour - 1);
    expect(phase()).toBe('up');
    clock.advance(1);
    expect(phase()).toBe('reauthenticating');
    expect(calls).toEqual([`reauth@${0.75 * hour}: an SVID nears expiry`, `dial@${0.75 * hour}`]);
    // The old connection goes (the peer said goodbye to it) before this side heard the new Hello: still re-authenticating.
    actor.send({ type: 'detached' });
    expect(phase()).toBe('reauthenticating');
    actor.send(boundNow(clock));
    expect(phase()).toBe('up');
    expect(context()).toMatchObject({ connections: 2, reauths: 1, reauthPending: false });
  });

  it('retries a failed re-authentication with backoff while the old connection serves, and moves at once when this node asks again', () => {
    const { actor, clock, calls, phase, context } = link('dialer');
    actor.send({ type: 'start' });
    actor.send(boundNow(clock));
    calls.length = 0;
    actor.send({ type: 'reauth', reason: 'the node SVID was rotated' });
    expect(calls).toEqual(['reauth@0: the node SVID was rotated', 'dial@0']);
    actor.send({ type: 'dial.failed' });
    expect(phase()).toBe('reauthRetrying');
    clock.advance(100);
    expect(phase()).toBe('reauthenticating');
    actor.send({ type: 'dial.failed' });
    expect(context().retryInMs).toBe(200);
    // The peer's ask does not cut the backoff short; this node's own reason does.
    actor.send({ type: 'reauth', reason: 'the peer asked', fromPeer: true });
    expect(phase()).toBe('reauthRetrying');
    actor.send({ type: 'reauth', reason: 'the node SVID was rotated' });
    expect(phase()).toBe('reauthenticating');
    expect(calls.at(-1)).toBe('dial@100');
    // Lost while waiting to retry: an ordinary reconnection, still counted as the re-authentication it completes.
    actor.send({ type: 'dial.failed' });
    actor.send({ type: 'detached' });
    expect(phase()).toBe('retrying');
    clock.advance(context().retryInMs);
    actor.send(boundNow(clock));
    expect(context()).toMatchObject({ connections: 2, reauths: 1 });
  });

  it('honours a peer that asks again within PEER_REAUTH_MIN_INTERVAL_MS once, when the interval is over, however often it asks', () => {
    const { actor, clock, calls, phase, context } = link('dialer');
    actor.send({ type: 'start' });
    actor.send(boundNow(clock));
    calls.length = 0;
    const ask = { type: 'reauth' as const, reason: 'the peer asked', fromPeer: true };
    actor.send(ask);
    expect(calls).toEqual(['reauth@0: the peer asked', 'dial@0']);
    clock.advance(10);
    actor.send(boundNow(clock));
    // A flood of asks right after the replacement bound: one re-authentication, when the interval from the last ask is over.
    for (let n = 0; n < 1_000; n++) actor.send(ask);
    expect(phase()).toBe('up');
    expect(context().peerReauthsDeferred).toBe(1_000);
    clock.advance(PEER_REAUTH_MIN_INTERVAL_MS - 11);
    expect(calls).toEqual(['reauth@0: the peer asked', 'dial@0']);
    clock.advance(1);
    expect(phase()).toBe('reauthenticating');
    expect(calls.slice(2)).toEqual([`reauth@${PEER_REAUTH_MIN_INTERVAL_MS}: the peer asked`, `dial@${PEER_REAUTH_MIN_INTERVAL_MS}`]);
    // This node's own reasons are never deferred.
    actor.send(boundNow(clock));
    actor.send({ type: 'reauth', reason: 'the node SVID was rotated' });
    expect(phase()).toBe('reauthenticating');
    // An ask that comes after the interval is honoured at once.
    actor.send(boundNow(clock));
    clock.advance(PEER_REAUTH_MIN_INTERVAL_MS);
    actor.send(ask);
    expect(phase()).toBe('reauthenticating');
  });

  it('ignores requests to re-authenticate while it has no connection', () => {
    const { actor, calls, phase } = link('dialer');
    actor.send({ type: 'reauth', reason: 'the node SVID was rotated' });
    expect(phase()).toBe('idle');
    actor.send({ type: 'start' });
    actor.send({ type: 'dial.failed' });
    actor.send({ type: 'reauth', reason: 'the node SVID was rotated' });
    expect(phase()).toBe('retrying');
    expect(calls).toEqual(['dial@0']);
  });
});

describe('peer-link lifecycle: acceptor', () => {
  it('asks the dialer to re-authenticate once near expiry and on every rotation, and re-arms on the replacement', () => {
    const { actor, clock, calls, phase, context } = link('acceptor');
    actor.send(boundNow(clock));
    expect(phase()).toBe('up');
    clock.advance(0.75 * hour);
    clock.advance(0.2 * hour);
    // Unanswered (this test plays no dialer), the ask ends the connection at its deadline.
    expect(calls).toEqual([`reauth@${0.75 * hour}: an SVID nears expiry`, `end@${0.75 * hour + REAUTH_ANSWER_MS}`]);
    actor.send({ type: 'reauth', reason: 'the node SVID was rotated' });
    expect(calls.at(-1)).toBe(`reauth@${0.95 * hour}: the node SVID was rotated`);
    actor.send(boundNow(clock));
    expect(context()).toMatchObject({ connections: 2, reauths: 0 });
    clock.advance(0.75 * hour);
    expect(calls.at(-1)).toBe(`reauth@${1.7 * hour}: an SVID nears expiry`);
  });

  it('ends the connection when the dialer has not re-authenticated REAUTH_ANSWER_MS after the first ask, asked again or not', () => {
    const { actor, clock, calls } = link('acceptor');
    actor.send(boundNow(clock));
    actor.send({ type: 'reauth', reason: 'the node SVID was rotated' });
    clock.advance(REAUTH_ANSWER_MS / 2);
    actor.send({ type: 'reauth', reason: 'the node SVID was rotated' });
    clock.advance(REAUTH_ANSWER_MS / 2 - 1);
    expect(calls).toEqual(['reauth@0: the node SVID was rotated', `reauth@${REAUTH_ANSWER_MS / 2}: the node SVID was rotated`]);
    clock.advance(1);
    expect(calls.at(-1)).toBe(`end@${REAUTH_ANSWER_MS}`);
    // A dialer that answers in time keeps its link: the new connection re-arms everything.
    actor.send(boundNow(clock));
    actor.send({ type: 'reauth', reason: 'the node SVID was rotated' });
    clock.advance(REAUTH_ANSWER_MS - 1);
    actor.send(boundNow(clock));
    clock.advance(REAUTH_ANSWER_MS);
    expect(calls.filter((call) => call.startsWith('end@'))).toEqual([`end@${REAUTH_ANSWER_MS}`]);
  });

  it('waits the resume window for its peer to come back, then forgets the link', () => {
    const { actor, clock, calls, phase } = link('acceptor');
    actor.send(boundNow(clock));
    actor.send({ type: 'detached' });
    expect(phase()).toBe('down');
    clock.advance(59_999);
    actor.send(boundNow(clock));
    expect(phase()).toBe('up');
    actor.send({ type: 'detached' });
    clock.advance(60_000);
    expect(phase()).toBe('forgotten');
    expect(calls).toEqual(['forget@119999']);
  });
});

describe('peer-link lifecycle: acknowledgements', () => {
  it('acknowledges at the latest ackDelayMs after a delivery, and not at all when an acknowledgement went out meanwhile', () => {
    const { actor, clock, calls } = link('acceptor');
    actor.send(boundNow(clock));
    actor.send({ type: 'delivered' });
    clock.advance(10);
    actor.send({ type: 'delivered' });
    clock.advance(10);
    expect(calls).toEqual(['ack@20']);
    actor.send({ type: 'delivered' });
    actor.send({ type: 'acked' });
    clock.advance(100);
    expect(calls).toEqual(['ack@20']);
  });
});

describe('re-authentication timing', () => {
  it('starts a quarter of the lifetime before expiry, at least REAUTH_MIN_LEAD_MS before, never in the past', () => {
    expect(reauthDelayMs({ establishedAt: 0, expiresAt: 4_000_000 }, 0)).toBe(3_000_000);
    expect(reauthDelayMs({ establishedAt: 0, expiresAt: 2_000 }, 0)).toBe(2_000 - REAUTH_MIN_LEAD_MS);
    expect(reauthDelayMs({ establishedAt: 0, expiresAt: 2_000 }, 5_000)).toBe(0);
  });
});

describe('peer-link lifecycle: determinism', () => {
  /**
   * A dialer over a flaky network for one virtual minute: each dial fails or binds by a coin from
   * the seeded Random (so do the jittered delays), and a bound connection drops after 5 s. The
   * trace is every state change and port call with its virtual time.
   */
  function trace(seed: number): string[] {
    const random = seededRandom(seed);
    const clock = new VirtualClock({ epochMs: 0 });
    const events: string[] = [];
    const actor = createActor(
      createPeerLinkLifecycleMachine({
        role: 'dialer',
        clock,
        random,
        timing: TIMING,
        ports: {
          dial: () => {
            events.push(`${clock.now()} dial`);
            // The outcome arrives 50 ms later, as a network's would.
            const binds = random() < 0.3;
            clock.setTimeout(() => {
              actor.send(binds ? { type: 'bound', establishedAt: clock.now(), expiresAt: clock.now() + hour } : { type: 'dial.failed' });
              if (binds) clock.setTimeout(() => actor.send({ type: 'detached' }), 5_000);
            }, 50);
          },
          reauthenticate: (reason) => events.push(`${clock.now()} reauth ${reason}`),
          sendAck: () => events.push(`${clock.now()} ack`),
          forget: () => events.push(`${clock.now()} forget`),
          endUnanswered: () => events.push(`${clock.now()} end`),
        },
      }),
      { clock },
    );
    running.push(actor);
    actor.subscribe((snapshot) => {
      const line = `${clock.now()} ${linkPhase(snapshot)} retryInMs=${snapshot.context.retryInMs}`;
      if (events.at(-1) !== line) events.push(line);
    });
    actor.start();
    actor.send({ type: 'start' });
    for (let step = 0; step < 600; step++) clock.advance(100);
    actor.stop();
    return events;
  }

  it('gives the same trace of dials, delays and states for the same seed, and another for another seed', () => {
    const first = trace(42);
    expect(first.filter((line) => line.endsWith(' dial')).length).toBeGreaterThan(10);
    expect(first.some((line) => line.includes(' up '))).toBe(true);
    expect(trace(42)).toEqual(first);
    expect(trace(7)).not.toEqual(first);
  });
});
