/**
 * The peer-link statechart: the bridge between the bus and the node's links. `mesh.send` from any
 * actor goes to the transport (an invoked actor the peer-link worker provides: TLS, SVIDs,
 * reliable streams); what peers send comes back as `mesh.recv`, and the transport's reports as
 * `mesh.links`, which status shows. It waits for the node's SVID before it serves: no link is
 * ever made without an identity.
 */
import { assign, emit, sendTo, setup, type AnyActorLogic } from 'xstate';
import type { BusEmitted } from '../lib/bus/bus-emitted.js';
import { HANDSHAKE_SECONDS_BUCKETS } from '../lib/mesh/handshake-buckets.js';
import type { MeshLinksMessage, MeshLinksState, PeerLinkPhase } from '../lib/mesh/links-state.js';
import type { MeshPingResult } from '../lib/mesh/mesh-ping-result.js';
import type { MeshRemedyResult } from '../lib/mesh/mesh-remedy.js';
import type { TelemetrySample } from '../lib/mape/telemetry.js';

export type { MeshLinksMessage, PeerLinkPhase };

export interface MeshSendMessage {
  to: string;
  topic: string;
  payload: unknown;
}

export interface MeshRecvMessage {
  from: string;
  topic: string;
  payload: unknown;
}

export type PeerLinkEvent =
  | { type: 'mesh.send'; payload: MeshSendMessage }
  | { type: 'transport.ready' }
  | { type: 'transport.received'; message: MeshRecvMessage }
  | { type: 'transport.state'; state: MeshLinksState }
  | { type: 'transport.failed'; reason: string }
  /** A request (`x0tta6bl4 mesh ping`): the transport pings and answers with `transport.pinged`. */
  | { type: 'mesh.ping'; payload: unknown; requestId?: string }
  | { type: 'transport.pinged'; requestId: string; result: MeshPingResult }
  /** Requests of the runtime: a remedy of the MAPE-K loop, a link fault of chaos; answered with `transport.answered`. */
  | { type: 'mesh.remedy'; payload: unknown; requestId?: string }
  | { type: 'mesh.fault'; payload: unknown; requestId?: string }
  | { type: 'transport.answered'; requestId: string; result: MeshRemedyResult }
  /** The mesh as telemetry (lib/mesh/mesh-telemetry.ts), for the monitor. */
  | { type: 'transport.telemetry'; sample: TelemetrySample };

interface PeerLinkContext {
  /** Kept in context (entry actions set it) so every report can say it. */
  phase: PeerLinkPhase;
  state: MeshLinksState;
  reason: string | null;
}

const EMPTY: MeshLinksState = { links: [], refused: 0, handshakeFailures: 0, unroutable: 0, readHolds: 0, readingHeld: false, shed: { 'per-address': 0, 'listener-full': 0, 'per-peer': 0 }, rejectedPayloads: { 'not-json': 0, 'too-deep': 0 }, unknownControl: 0, silentPeers: 0, localHealth: 0, membership: { members: [], learned: 0, stale: 0, refused: {}, claims: { learned: 0, stale: 0, refused: {} }, suspected: 0, declaredDead: 0, indirectProbes: { asked: 0, reached: 0, answered: 0, late: 0, relayed: 0, signed: 0, throttled: 0, refused: {}, notSuspected: 0 } }, routing: { seqno: 0, routes: [], routeChanges: 0, received: 0, refused: {} }, endToEnd: { sent: 0, resent: 0, delivered: 0, duplicates: 0, forwarded: 0, acked: 0, sessionsOpened: 0, sessionsAccepted: 0, resets: { sent: 0, received: 0 }, dropped: {}, refused: {}, held: 0, sessions: { outgoing: 0, incoming: 0 } }, pq: { handshakes: 0, rekeys: 0, failures: {}, lastHandshakeMs: 0, handshakeSeconds: { cumulative: HANDSHAKE_SECONDS_BUCKETS.map(() => 0), sum: 0 } } };

export function createPeerLinkMachine(transport: AnyActorLogic) {
  return setup({
    types: {} as { context: PeerLinkContext; events: PeerLinkEvent; emitted: BusEmitted },
    actors: { transport },
    actions: {
      report: emit(({ context }): BusEmitted => {
        const payload: MeshLinksMessage = { ...context.state, phase: context.phase, ...(context.reason !== null ? { reason: context.reason } : {}) };
        return { type: 'bus.publish', topic: 'mesh.links', payload };
      }),
    },
  }).createMachine({
    id: 'peer-link',
    context: { phase: 'waitingForSvid', state: EMPTY, reason: null },
    invoke: { id: 'transport', src: 'transport' },
    initial: 'waitingForSvid',
    on: {
      'transport.state': { actions: [assign({ state: ({ event }) => event.state }), 'report'] },
      'transport.failed': { target: '.failed', actions: assign({ reason: ({ event }) => event.reason }) },
      // Queued by the transport while there is no connection yet, so nothing sent early is lost.
      'mesh.send': { actions: sendTo('transport', ({ event }) => event) },
      'mesh.ping': { actions: sendTo('transport', ({ event }) => event) },
      'transport.pinged': { actions: emit(({ event }): BusEmitted => ({ type: 'bus.reply', requestId: event.requestId, payload: event.result })) },
      'mesh.remedy': { actions: sendTo('transport', ({ event }) => event) },
      'mesh.fault': { actions: sendTo('transport', ({ event }) => event) },
      'transport.answered': { actions: emit(({ event }): BusEmitted => ({ type: 'bus.reply', requestId: event.requestId, payload: event.result })) },
      'transport.telemetry': { actions: emit(({ event }): BusEmitted => ({ type: 'bus.publish', topic: 'telemetry.sample', payload: event.sample })) },
      'transport.received': {
        actions: emit(({ event }): BusEmitted => ({ type: 'bus.publish', topic: 'mesh.recv', payload: event.message })),
      },
    },
    states: {
      waitingForSvid: { entry: 'report', on: { 'transport.ready': 'serving' } },
      serving: { entry: [assign({ phase: 'serving' as const }), 'report'] },
      failed: { entry: [assign({ phase: 'failed' as const }), 'report'] },
    },
  });
}
