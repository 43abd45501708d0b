/**
 * The peer-link actor's Prometheus series, read from its latest `mesh.links` at scrape time: the
 * links up, the members known by gossip and what became of the records peers sent, and the post-quantum sessions (handshakes, rekeys, failures by reason, handshake
 * durations), which the worker keeps and reports on the bus as its other state.
 */
import type { StandingMetric } from '../runtime/contracts/subsystem-standing.js';
import { HANDSHAKE_SECONDS_BUCKETS, type MeshLinksMessage } from '../../lib/mesh/links-state.js';
import { MEMBER_STATUSES } from '../../lib/mesh/member-limits.js';

export const peerLinkMetrics: readonly StandingMetric<MeshLinksMessage>[] = [
  {
    name: 'x0tta6bl4_mesh_links_up',
    help: 'Peer links with a live, authenticated connection.',
    type: 'gauge',
    read: (mesh) => [{ value: mesh.links.filter((link) => link.status === 'up').length }],
  },
  {
    name: 'x0tta6bl4_mesh_payloads_refused_total',
    help: 'Peer messages dropped because their payload was not JSON or nested too deep, by reason.',
    type: 'counter',
    read: (mesh) => Object.entries(mesh.rejectedPayloads).map(([reason, value]) => ({ labels: { reason }, value })),
  },
  {
    name: 'x0tta6bl4_mesh_connections_shed_total',
    help: 'Incoming connections the peer-link listener closed before any TLS work, by cap (per-address, listener-full).',
    type: 'counter',
    read: (mesh) => Object.entries(mesh.shed).map(([reason, value]) => ({ labels: { reason }, value })),
  },
  {
    name: 'x0tta6bl4_mesh_read_holds_total',
    help: "Times the peer links stopped reading because the node's bus held peer messages back (a mesh.recv subscriber's mailbox was full).",
    type: 'counter',
    read: (mesh) => [{ value: mesh.readHolds }],
  },
  {
    name: 'x0tta6bl4_mesh_members',
    help: 'Mesh members this node knows by gossip, by state (alive, suspect, dead, left).',
    type: 'gauge',
    read: (mesh) => MEMBER_STATUSES.map((state) => ({ labels: { state }, value: mesh.membership.members.filter((member) => member.state === state).length })),
  },
  {
    name: 'x0tta6bl4_mesh_member_records_total',
    help: 'Member records peers sent this node, by outcome: learned (news, verified), stale (nothing new), or the reason it was refused.',
    type: 'counter',
    read: (mesh) => [
      { labels: { outcome: 'learned' }, value: mesh.membership.learned },
      { labels: { outcome: 'stale' }, value: mesh.membership.stale },
      ...Object.entries(mesh.membership.refused).map(([outcome, value]) => ({ labels: { outcome }, value: value ?? 0 })),
    ],
  },
  {
    name: 'x0tta6bl4_mesh_member_claims_total',
    help: 'Suspect and dead claims peers sent this node, by outcome: learned (news, verified), stale, or the reason it was refused.',
    type: 'counter',
    read: (mesh) => [
      { labels: { outcome: 'learned' }, value: mesh.membership.claims.learned },
      { labels: { outcome: 'stale' }, value: mesh.membership.claims.stale },
      ...Object.entries(mesh.membership.claims.refused).map(([outcome, value]) => ({ labels: { outcome }, value: value ?? 0 })),
    ],
  },
  {
    name: 'x0tta6bl4_mesh_suspicions_total',
    help: 'Members this node suspected itself (its link to them lost without a goodbye).',
    type: 'counter',
    read: (mesh) => [{ value: mesh.membership.suspected }],
  },
  {
    name: 'x0tta6bl4_mesh_declared_dead_total',
    help: 'Members this node declared dead itself (its suspicion not refuted in time, or their address refused a connection).',
    type: 'counter',
    read: (mesh) => [{ value: mesh.membership.declaredDead }],
  },
  {
    name: 'x0tta6bl4_mesh_indirect_probes_total',
    help: "SWIM indirect probes this node sent about a member whose link it lost, by outcome: reached (another member answered it alive, so it was not suspected) or not.",
    type: 'counter',
    read: (mesh) => [
      { labels: { outcome: 'reached' }, value: mesh.membership.indirectProbes.reached },
      { labels: { outcome: 'not-reached' }, value: mesh.membership.indirectProbes.asked - mesh.membership.indirectProbes.reached },
    ],
  },
  {
    name: 'x0tta6bl4_mesh_silent_peers_total',
    help: 'Link connections closed because the failure detector found their peer silent (phi past the threshold).',
    type: 'counter',
    read: (mesh) => [{ value: mesh.silentPeers }],
  },
  {
    name: 'x0tta6bl4_mesh_routes',
    help: 'Members this node has a route to.',
    type: 'gauge',
    read: (mesh) => [{ value: mesh.routing.routes.length }],
  },
  {
    name: 'x0tta6bl4_mesh_route_changes_total',
    help: 'Routes that appeared, moved to another next hop or were withdrawn.',
    type: 'counter',
    read: (mesh) => [{ value: mesh.routing.routeChanges }],
  },
  {
    name: 'x0tta6bl4_mesh_route_entries_refused_total',
    help: "Route entries and requests refused from neighbours' routing messages, by reason.",
    type: 'counter',
    read: (mesh) => Object.entries(mesh.routing.refused).map(([reason, value]) => ({ labels: { reason }, value: value ?? 0 })),
  },
  {
    name: 'x0tta6bl4_mesh_e2e_messages_total',
    help: 'End-to-end messages, by event: sent, resent (a route changed or no acknowledgement in time), delivered to this node, duplicates dropped, forwarded for others.',
    type: 'counter',
    read: (mesh) => (['sent', 'resent', 'delivered', 'duplicates', 'forwarded'] as const).map((event) => ({ labels: { event }, value: mesh.endToEnd[event] })),
  },
  {
    name: 'x0tta6bl4_mesh_e2e_dropped_total',
    help: 'End-to-end messages or envelopes dropped, by reason (no-route, hop-limit, loop, link-full, held-full, unknown-destination, beyond-window).',
    type: 'counter',
    read: (mesh) => Object.entries(mesh.endToEnd.dropped).map(([reason, value]) => ({ labels: { reason }, value: value ?? 0 })),
  },
  {
    name: 'x0tta6bl4_mesh_e2e_refused_total',
    help: 'End-to-end envelopes for this node refused, by reason (a bad opening, body, acknowledgement or reset; an unknown origin).',
    type: 'counter',
    read: (mesh) => Object.entries(mesh.endToEnd.refused).map(([reason, value]) => ({ labels: { reason }, value: value ?? 0 })),
  },
  { name: 'x0tta6bl4_pq_handshakes_total', help: 'Completed post-quantum session handshakes.', type: 'counter', read: (mesh) => [{ value: mesh.pq.handshakes }] },
  { name: 'x0tta6bl4_pq_rekeys_total', help: 'Post-quantum session rekeys (fresh hybrid exchanges).', type: 'counter', read: (mesh) => [{ value: mesh.pq.rekeys }] },
  {
    name: 'x0tta6bl4_pq_failures_total',
    help: 'Post-quantum sessions that failed, by reason.',
    type: 'counter',
    read: (mesh) => Object.entries(mesh.pq.failures).map(([reason, value]) => ({ labels: { reason }, value })),
  },
  {
    name: 'x0tta6bl4_pq_handshake_duration_seconds',
    help: 'Duration of post-quantum session handshakes.',
    type: 'histogram',
    read: (mesh) => ({ bounds: HANDSHAKE_SECONDS_BUCKETS, cumulative: mesh.pq.handshakeSeconds.cumulative, sum: mesh.pq.handshakeSeconds.sum, count: mesh.pq.handshakes }),
  },
];
