/**
 * The identity statechart: where the node stands with its SPIFFE identity. The Workload API
 * stream (an invoked actor the identity worker provides) reports its state and every verified
 * update; the machine keeps what status shows and publishes `identity.state` on each change, so
 * "waiting for an SVID, and why" is never silent.
 */
import { assign, emit, setup, type AnyActorLogic } from 'xstate';
import type { BusEmitted } from '../lib/bus/bus-emitted.js';
import type { IdentityMode, IdentityStateMessage, IdentityStatus } from '../lib/spiffe/identity-state.js';

export type { IdentityMode, IdentityStateMessage, IdentityStatus };

export interface IdentityUpdate {
  spiffeId: string;
  trustDomain: string;
  /** Epoch ms: the earliest notAfter on the verified path. */
  expiresAt: number;
  svids: number;
}

export type IdentityEvent =
  | { type: 'workload.waiting'; reason: string; retryInMs: number }
  | { type: 'workload.update'; update: IdentityUpdate }
  | { type: 'workload.rejected'; reason: string }
  | { type: 'workload.failed'; reason: string };

export interface IdentityContext {
  mode: IdentityMode;
  endpoint: string;
  reason: string | null;
  current: IdentityUpdate | null;
  updates: number;
  rejected: number;
}

function stateMessage(status: IdentityStatus, context: IdentityContext): BusEmitted {
  const payload: IdentityStateMessage = {
    status,
    mode: context.mode,
    endpoint: context.endpoint,
    ...(context.reason !== null ? { reason: context.reason } : {}),
    ...(context.current ? { spiffeId: context.current.spiffeId, trustDomain: context.current.trustDomain, expiresAt: context.current.expiresAt } : {}),
    updates: context.updates,
    rejected: context.rejected,
  };
  return { type: 'bus.publish', topic: 'identity.state', payload };
}

export function createIdentityMachine(workloadApi: AnyActorLogic, input: { mode: IdentityMode; endpoint: string }) {
  return setup({
    types: {} as { context: IdentityContext; events: IdentityEvent; emitted: BusEmitted },
    actors: { workloadApi },
    actions: {
      announce: emit(({ context }, params: { status: IdentityStatus }) => stateMessage(params.status, context)),
      keepUpdate: assign(({ context, event }) =>
        event.type === 'workload.update' ? { current: event.update, reason: null, updates: context.updates + 1 } : {},
      ),
      keepReason: assign(({ event }) => ('reason' in event ? { reason: event.reason } : {})),
    },
  }).createMachine({
    id: 'identity',
    context: { mode: input.mode, endpoint: input.endpoint, reason: null, current: null, updates: 0, rejected: 0 },
    invoke: { src: 'workloadApi' },
    initial: 'connecting',
    // Transitions stay inside the root (never re-entering it), so the invoked Workload API stream
    // runs for the actor's whole life; each announces the state it leads to.
    on: {
      'workload.update': { target: '.ready', actions: ['keepUpdate', { type: 'announce', params: { status: 'ready' } }] },
      'workload.waiting': { target: '.waiting', actions: ['keepReason', { type: 'announce', params: { status: 'waiting' } }] },
      'workload.failed': { target: '.failed', actions: ['keepReason', { type: 'announce', params: { status: 'failed' } }] },
      'workload.rejected': {
        actions: [
          assign(({ context, event }) => ({ rejected: context.rejected + 1, reason: `an update was rejected: ${event.reason}` })),
          emit(({ context, self }) => stateMessage(statusOf(self.getSnapshot().value), context)),
        ],
      },
    },
    states: {
      connecting: { entry: { type: 'announce', params: { status: 'connecting' } } },
      waiting: {},
      ready: {},
      failed: {},
    },
  });
}

function statusOf(value: unknown): IdentityStatus {
  return value === 'waiting' || value === 'ready' || value === 'failed' ? value : 'connecting';
}
