/**
 * One peer link's lifecycle as a statechart: when it dials, waits to redial, re-authenticates and
 * gives up on a peer, and when it acknowledges what it received. Every wait is an XState delay,
 * so the Clock the actor runs with (a virtual one in a simulation) drives them all; the redial
 * backoff is lib/timing/backoff.ts with the Random passed in. The I/O (dialing, frames on the
 * wire, removing the link) comes in as ports; the link's connection and stream stay with the
 * caller (actors/peer-link/peer-links.ts).
 *
 * Dialer:   idle ─start─► dialing ─bound─► up ─(SVID rotated | peer asked | near expiry)─► reauthenticating ─bound─► up
 *           dialing ─dial.failed─► retrying ─after backoff─► dialing;  up ─detached─► retrying
 *           reauthenticating ─dial.failed─► reauthRetrying ─after backoff─► reauthenticating (the live connection still serves)
 *           up: the peer asking again within PEER_REAUTH_MIN_INTERVAL_MS of its last ask is honoured
 *           when the interval is over, once (each ask costs this node a TLS and a post-quantum
 *           handshake, so a peer must not be able to ask for them back to back)
 * Acceptor: idle ─bound─► up ─detached─► down ─bound─► up;  down ─after the resume window─► forgotten
 *           up: near expiry or SVID rotated → ask the dialer to re-authenticate (it is the one that dials);
 *           no new connection within REAUTH_ANSWER_MS → end the connection (a dialer must not keep
 *           one authenticated by a retired SVID by ignoring the request)
 * Both, in parallel: ack idle ─delivered─► waiting ─after ackDelay (send the ack) | acked─► idle
 */
import { assign, setup } from 'xstate';
import type { LinkRole } from '../lib/mesh/links-state.js';
import { backoffDelayMs } from '../lib/timing/backoff.js';
import type { Clock } from '../lib/timing/clock.js';
import type { Random } from '../lib/timing/random.js';

export interface LinkLifecycleTiming {
  /** Acknowledge at the latest this long after a delivery. */
  ackDelayMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** An acceptor's link with no connection left is forgotten after this long (the dialer keeps trying). */
  resumeWindowMs: number;
}

/** Redials spread over ±20% of their nominal delay, so the peers of a restarted node do not all dial it at once. */
export const RECONNECT_JITTER = 0.2;
/** Re-authenticate when this fraction of a connection's lifetime is left (SPIRE rotates at half-life, so rotation usually comes first). */
export const REAUTH_REMAINING_FRACTION = 0.25;
/** The least time before expiry a re-authentication starts: a new connection needs a TLS and a post-quantum handshake. */
export const REAUTH_MIN_LEAD_MS = 1_000;
/**
 * The least time between two re-authentications a peer asks for. A rotation asks once per SVID
 * (SPIRE rotates at half-life: minutes to hours); a peer asking faster is deferred, at most four
 * handshakes a second (about 1% of a core).
 */
export const PEER_REAUTH_MIN_INTERVAL_MS = 250;
/** How long an acceptor waits for the dialer's new connection after asking for it: a dial, its retries, and two handshakes fit well within. */
export const REAUTH_ANSWER_MS = 30_000;

export interface LinkLifecyclePorts {
  /** Dialer: open a new connection for the link; its outcome comes back as `bound` or `dial.failed`. */
  dial(): void;
  /** The link moves to a new connection, for `reason`: a dialer's dial follows; an acceptor asks the dialer to make it. */
  reauthenticate(reason: string): void;
  /** The delayed acknowledgement is due. */
  sendAck(): void;
  /** Acceptor: the peer did not come back within the resume window; drop the link. */
  forget(): void;
  /** Acceptor: the dialer did not re-authenticate within REAUTH_ANSWER_MS of being asked: end the connection. */
  endUnanswered(): void;
}

export type LinkLifecycleEvent =
  /** The node has its SVID: a dialer starts dialing. */
  | { type: 'start' }
  /** A connection was bound to the link (Hellos exchanged): the link moved to it. */
  | { type: 'bound'; establishedAt: number; expiresAt: number }
  | { type: 'dial.failed' }
  /** The connection the link was using is gone. */
  | { type: 'detached' }
  /** The node's SVID was rotated, or the peer asked (`fromPeer`): move to a new connection. */
  | { type: 'reauth'; reason: string; fromPeer?: boolean }
  /** A message was delivered and its acknowledgement may wait. */
  | { type: 'delivered' }
  /** An acknowledgement just went out: nothing is waiting. */
  | { type: 'acked' };

export interface LinkLifecycleContext {
  /** Failed attempts since the link was last bound (the backoff's exponent). */
  attempts: number;
  /** The wait before the next attempt, drawn when the attempt failed. */
  retryInMs: number;
  /** From the current connection's binding to its re-authentication. */
  reauthInMs: number;
  /** Connections bound over the link's life: the first, reconnections and re-authentications. */
  connections: number;
  /** Re-authentications completed (dialer: a replacement connection bound). */
  reauths: number;
  /** The next bound connection replaces the current one for re-authentication. */
  reauthPending: boolean;
  /** Dialer: when the peer's last honoured request to re-authenticate came (clock ms). */
  lastPeerReauthAt: number;
  /** Dialer: the peer's requests not honoured on their own: too soon after its last (deferred), or while a re-authentication was under way (answered by it). */
  peerReauthsDeferred: number;
}

export interface LinkLifecycleOptions {
  role: LinkRole;
  clock: Pick<Clock, 'now'>;
  random: Random;
  timing: LinkLifecycleTiming;
  ports: LinkLifecyclePorts;
}

/** When to re-authenticate a connection: a quarter of its lifetime before it expires, and at least REAUTH_MIN_LEAD_MS before. */
export function reauthDelayMs(connection: { establishedAt: number; expiresAt: number }, now: number): number {
  const lifetime = connection.expiresAt - connection.establishedAt;
  const at = connection.expiresAt - Math.max(REAUTH_MIN_LEAD_MS, lifetime * REAUTH_REMAINING_FRACTION);
  return Math.max(0, at - now);
}

export function createPeerLinkLifecycleMachine({ role, clock, random, timing, ports }: LinkLifecycleOptions) {
  const policy = { minMs: timing.reconnectMinMs, maxMs: timing.reconnectMaxMs, jitter: RECONNECT_JITTER };
  const machineSetup = setup({
    types: {} as { context: LinkLifecycleContext; events: LinkLifecycleEvent },
    actions: {
      dial: () => ports.dial(),
      reauthenticate: (_, params: { reason: string }) => ports.reauthenticate(params.reason),
      sendAck: () => ports.sendAck(),
      forget: () => ports.forget(),
      endUnanswered: () => ports.endUnanswered(),
      backOff: assign(({ context }) => {
        const attempts = context.attempts + 1;
        return { attempts, retryInMs: backoffDelayMs(policy, attempts, random) };
      }),
      markReauth: assign({ reauthPending: true }),
      notePeerAsk: assign({ lastPeerReauthAt: () => clock.now() }),
      deferPeerAsk: assign({ peerReauthsDeferred: ({ context }) => context.peerReauthsDeferred + 1 }),
      notePeerAskIfFromPeer: assign({ lastPeerReauthAt: ({ context, event }) => (event.type === 'reauth' && event.fromPeer === true ? clock.now() : context.lastPeerReauthAt) }),
      bind: assign(({ context, event }) => {
        const bound = event as Extract<LinkLifecycleEvent, { type: 'bound' }>;
        return {
          attempts: 0,
          connections: context.connections + 1,
          // A re-authentication counts when its new connection binds, whether or not the old one is still up.
          reauths: context.reauths + (context.reauthPending ? 1 : 0),
          reauthPending: false,
          reauthInMs: reauthDelayMs(bound, clock.now()),
        };
      }),
    },
    guards: {
      peerAskTooSoon: ({ context, event }) => event.type === 'reauth' && event.fromPeer === true && clock.now() - context.lastPeerReauthAt < PEER_REAUTH_MIN_INTERVAL_MS,
      fromPeer: ({ event }) => event.type === 'reauth' && event.fromPeer === true,
    },
    delays: {
      retry: ({ context }) => context.retryInMs,
      reauthDue: ({ context }) => context.reauthInMs,
      peerReauthAllowed: ({ context }) => Math.max(0, context.lastPeerReauthAt + PEER_REAUTH_MIN_INTERVAL_MS - clock.now()),
      ackDelay: timing.ackDelayMs,
      resumeWindow: timing.resumeWindowMs,
      reauthAnswer: REAUTH_ANSWER_MS,
    },
  });
  return machineSetup.createMachine({
    id: `peer-link-${role}`,
    type: 'parallel',
    context: { attempts: 0, retryInMs: 0, reauthInMs: 0, connections: 0, reauths: 0, reauthPending: false, lastPeerReauthAt: Number.NEGATIVE_INFINITY, peerReauthsDeferred: 0 },
    states: {
      link:
        role === 'dialer'
          ? {
              initial: 'idle',
              states: {
                idle: { on: { start: 'dialing' } },
                dialing: {
                  entry: 'dial',
                  on: { bound: { target: 'up', actions: 'bind' }, 'dial.failed': { target: 'retrying', actions: 'backOff' } },
                },
                retrying: { after: { retry: 'dialing' } },
                up: {
                  initial: 'serving',
                  states: {
                    serving: {},
                    peerAskDeferred: {
                      after: {
                        peerReauthAllowed: { target: '#dialerReauthenticating', actions: ['notePeerAsk', { type: 'reauthenticate', params: { reason: 'the peer asked' } }] },
                      },
                    },
                  },
                  after: { reauthDue: { target: 'reauthenticating', actions: { type: 'reauthenticate', params: { reason: 'an SVID nears expiry' } } } },
                  on: {
                    reauth: [
                      { guard: 'peerAskTooSoon', target: '.peerAskDeferred', actions: 'deferPeerAsk' },
                      {
                        target: 'reauthenticating',
                        actions: [{ type: 'notePeerAskIfFromPeer' }, { type: 'reauthenticate', params: ({ event }) => ({ reason: event.reason }) }],
                      },
                    ],
                    detached: { target: 'retrying', actions: 'backOff' },
                  },
                },
                reauthenticating: {
                  id: 'dialerReauthenticating',
                  entry: ['markReauth', 'dial'],
                  on: {
                    // The re-authentication under way answers the peer's ask too.
                    reauth: { guard: 'fromPeer', actions: 'deferPeerAsk' },
                    bound: { target: 'up', actions: 'bind' },
                    // A failed re-authentication retries too: the live connection still has to be replaced before it expires.
                    'dial.failed': { target: 'reauthRetrying', actions: 'backOff' },
                    // The peer moved to the replacement before this side heard its Hello, or the old connection
                    // broke: the dial under way brings the link back, and traffic waits in the stream meanwhile.
                    detached: {},
                  },
                },
                reauthRetrying: {
                  after: { retry: 'reauthenticating' },
                  on: {
                    // This node's own reason moves at once; a peer's ask waits for the backoff like the retry it asks for.
                    reauth: [
                      { guard: 'fromPeer', actions: 'deferPeerAsk' },
                      { target: 'reauthenticating', actions: { type: 'reauthenticate', params: ({ event }) => ({ reason: event.reason }) } },
                    ],
                    detached: { target: 'retrying', actions: 'backOff' },
                  },
                },
              },
            }
          : {
              initial: 'idle',
              states: {
                idle: { on: { bound: { target: 'up', actions: 'bind' } } },
                up: {
                  initial: 'current',
                  states: {
                    current: {
                      after: { reauthDue: { target: 'asked', actions: { type: 'reauthenticate', params: { reason: 'an SVID nears expiry' } } } },
                      on: { reauth: { target: 'asked', actions: { type: 'reauthenticate', params: ({ event }) => ({ reason: event.reason }) } } },
                    },
                    // Asked again meanwhile: asked again, but the deadline of the first ask stands.
                    asked: {
                      after: { reauthAnswer: { actions: 'endUnanswered' } },
                      on: { reauth: { actions: { type: 'reauthenticate', params: ({ event }) => ({ reason: event.reason }) } } },
                    },
                  },
                  on: {
                    // The dialer's replacement connection: the link moves to it, and its expiry sets the next re-authentication.
                    bound: { target: 'up', reenter: true, actions: 'bind' },
                    detached: 'down',
                  },
                },
                down: {
                  after: { resumeWindow: 'forgotten' },
                  on: { bound: { target: 'up', actions: 'bind' } },
                },
                forgotten: { entry: 'forget' },
              },
            },
      ack: {
        initial: 'idle',
        states: {
          idle: { on: { delivered: 'waiting' } },
          waiting: { after: { ackDelay: { target: 'idle', actions: 'sendAck' } }, on: { acked: 'idle' } },
        },
      },
    },
  });
}

export type PeerLinkLifecycleMachine = ReturnType<typeof createPeerLinkLifecycleMachine>;

/** The link region's top state: the two roles' statecharts differ, so their snapshots type it loosely. */
export type LinkPhase = 'idle' | 'dialing' | 'retrying' | 'up' | 'reauthenticating' | 'reauthRetrying' | 'down' | 'forgotten';

export function linkPhase(snapshot: { value: unknown }): LinkPhase {
  const link = (snapshot.value as { link: string | Record<string, unknown> }).link;
  return (typeof link === 'string' ? link : Object.keys(link)[0]) as LinkPhase;
}
