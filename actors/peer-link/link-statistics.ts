/**
 * The peer link's counters, as `mesh.links` reports them (lib/mesh/links-state.ts): refusals and
 * failed handshakes at the door, messages with nowhere to go, peer payloads refused, the post-quantum sessions'
 * handshakes, rekeys and failures (with a histogram of handshake durations), and each link's
 * standing, read from its stream, its connection and its lifecycle.
 */
import type { EndToEndState } from '../../lib/mesh/end-to-end-state.js';
import type { RoutingState } from '../../lib/mesh/routing-state.js';
import type { MembershipState } from '../../lib/mesh/membership-state.js';
import { HANDSHAKE_SECONDS_BUCKETS, type LinkState, type MeshLinksState, type PostQuantumCounters, type ShedReason } from '../../lib/mesh/links-state.js';
import type { RemotePayloadRejection } from '../../lib/mesh/remote-payload.js';
import { formatHostPort } from '../../lib/net/host-port.js';
import type { LinkConnection } from './link-connection.js';
import type { LinkHeartbeat } from './link-heartbeat.js';
import type { Link } from './link-table.js';
import type { SessionMetricsHooks } from './pq-session.js';

export class LinkStatistics {
  refused = 0;
  handshakeFailures = 0;
  unroutable = 0;
  /** Times the links stopped reading because the node's bus held the peers' messages back. */
  readHolds = 0;
  /** Incoming connections the listener closed at once, by cap. */
  readonly shed: Record<ShedReason, number> = { 'per-address': 0, 'listener-full': 0, 'per-peer': 0 };
  /** Peer messages dropped because their payload's structure was refused, by reason. */
  readonly rejectedPayloads: Record<RemotePayloadRejection, number> = { 'not-json': 0, 'too-deep': 0 };
  /** Frames on a reserved topic this version does not know. */
  unknownControl = 0;
  /** Connections closed because their peer fell silent (its phi passed the threshold). */
  silentPeers = 0;
  lastRefusal: string | undefined;
  private readonly pq: PostQuantumCounters = {
    handshakes: 0,
    rekeys: 0,
    failures: {},
    lastHandshakeMs: 0,
    handshakeSeconds: { cumulative: HANDSHAKE_SECONDS_BUCKETS.map(() => 0), sum: 0 },
  };

  /** Counts a refused connection and returns the reason as status shows it. */
  refusal(peer: string | undefined, error: Error): string {
    this.refused++;
    this.lastRefusal = `${peer ? `${peer}: ` : ''}${error.name}: ${error.message}`;
    return this.lastRefusal;
  }

  /** What every post-quantum session reports into; `changed` after each count. */
  sessionHooks(changed: () => void): SessionMetricsHooks {
    const pq = this.pq;
    return {
      handshake: (info) => {
        pq.handshakes++;
        pq.lastHandshakeMs = Math.round(info.durationMs * 100) / 100;
        const seconds = info.durationMs / 1000;
        HANDSHAKE_SECONDS_BUCKETS.forEach((bound, index) => {
          if (seconds <= bound) pq.handshakeSeconds.cumulative[index]!++;
        });
        pq.handshakeSeconds.sum += seconds;
        changed();
      },
      rekey: () => {
        pq.rekeys++;
        changed();
      },
      failure: (info) => {
        pq.failures[info.reason] = (pq.failures[info.reason] ?? 0) + 1;
        changed();
      },
    };
  }

  /** The whole report: the listener, the node's identity, every link and the counters. */
  state(
    node: { listening?: string | undefined; spiffeId?: string | undefined; nodeKey?: string | undefined; readingHeld: boolean; localHealth: number; membership: MembershipState; routing: RoutingState; endToEnd: EndToEndState },
    links: Iterable<Link>,
    heartbeatOf: (connection: LinkConnection) => LinkHeartbeat | undefined = () => undefined,
  ): MeshLinksState {
    const pq = this.pq;
    return {
      ...(node.listening ? { listening: node.listening } : {}),
      ...(node.spiffeId ? { spiffeId: node.spiffeId } : {}),
      ...(node.nodeKey ? { nodeKey: node.nodeKey } : {}),
      links: [...links].map((link) => linkState(link, link.active && heartbeatOf(link.active))),
      refused: this.refused,
      handshakeFailures: this.handshakeFailures,
      pq: {
        handshakes: pq.handshakes,
        rekeys: pq.rekeys,
        failures: { ...pq.failures },
        lastHandshakeMs: pq.lastHandshakeMs,
        handshakeSeconds: { cumulative: [...pq.handshakeSeconds.cumulative], sum: pq.handshakeSeconds.sum },
      },
      ...(this.lastRefusal ? { lastRefusal: this.lastRefusal } : {}),
      unroutable: this.unroutable,
      readHolds: this.readHolds,
      readingHeld: node.readingHeld,
      shed: { ...this.shed },
      rejectedPayloads: { ...this.rejectedPayloads },
      unknownControl: this.unknownControl,
      silentPeers: this.silentPeers,
      localHealth: node.localHealth,
      routing: node.routing,
      endToEnd: node.endToEnd,
      membership: node.membership,
    };
  }
}

export function linkState(link: Link, heartbeat?: LinkHeartbeat): LinkState {
  const { connections, reauths, peerReauthsDeferred } = link.lifecycle.getSnapshot().context;
  return {
    peer: link.peer,
    role: link.role,
    ...(link.endpoint ? { address: formatHostPort(link.endpoint.address) } : {}),
    status: link.active ? 'up' : link.role === 'dialer' ? 'connecting' : 'down',
    connections,
    reauths,
    peerReauthsDeferred,
    sent: link.stream.sent - link.controlSent,
    delivered: link.stream.delivered - link.controlDelivered,
    controlSent: link.controlSent,
    controlDelivered: link.controlDelivered,
    pending: link.stream.pending,
    unwritten: link.stream.unwritten,
    retransmitted: link.stream.retransmitted,
    duplicates: link.stream.duplicates,
    dropped: link.dropped,
    ...(link.active ? { expiresAt: link.active.expiresAt } : {}),
    ...(link.active?.session.suite ? { suite: link.active.session.suite, epoch: link.active.session.epoch } : {}),
    ...(link.active?.session.peerKeyFingerprint ? { peerKey: link.active.session.peerKeyFingerprint } : {}),
    ...(heartbeat ? { phi: Math.round(heartbeat.phi * 100) / 100 } : {}),
    ...(heartbeat?.rttMs !== undefined ? { rttMs: Math.round(heartbeat.rttMs * 100) / 100 } : {}),
    ...(link.lastError ? { lastError: link.lastError } : {}),
  };
}
