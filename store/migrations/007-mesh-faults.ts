import type { Migration } from '../migrations.js';

/**
 * The mesh's faults in the MAPE-K loop (lib/mape/causes.ts's mesh causes): detector rules over the
 * telemetry the peer link sends (lib/mesh/mesh-telemetry.ts), and the policies that heal them.
 *
 * Rules, by rank after the local ones:
 * - dead-neighbour: the peer link's event sample when a neighbour is declared dead. Its detector
 *   (phi 8, and a suspicion confirmed by the other neighbours or a second's wait) has already
 *   weighed the evidence: one sample is enough.
 * - lost-link: the peer link's sample when the link to a neighbour held alive has been down for
 *   two seconds: the neighbour lives (it refuted any suspicion; members reach it) but this link
 *   does not (a cut cable, a dropped route). Two seconds, because a killed neighbour is suspected
 *   before it is held dead. Once per loss, so a link down for long is one incident, not one a sample.
 * - lossy-link: a fifth or more of the link's last 20 heartbeats (2 s of them) unanswered within a
 *   second each, while routes lead through it. One sample: the ratio is already over 2 s of probes,
 *   and a healthy link over TCP loses none (a busy peer answers late, not never). A lossy link no
 *   route uses troubles nobody.
 * - unreachable-members: members held alive that no route leads to, for three samples: routes
 *   converge within a second or two after a change (the reroute bench), so three samples is a
 *   partition, not a change on its way.
 *
 * Policies: a dead neighbour's routes are rerouted first (fresh routes asked for at once), then the
 * unreachable members dialed directly; a degraded link is avoided first, its peer quarantined if
 * that is not enough; a partition is bridged by dialing. Quarantine cuts a live peer off this node,
 * hence its higher risk.
 */
const migration: Migration = {
  version: 7,
  name: 'mesh-faults',
  sql: `
    INSERT INTO detector_rules (id, metric, op, threshold, consecutive, cause_kind, confidence, rank) VALUES
      ('dead-neighbour', 'peer.down', '>=', 1, 1, 'peer-down', 0.9, 10),
      ('lost-link', 'peer.link_lost', '>=', 1, 1, 'link-degraded', 0.8, 11),
      ('unreachable-members', 'mesh.unreachable_members', '>=', 1, 3, 'partitioned', 0.8, 13);
    INSERT INTO detector_rules (id, metric, op, threshold, consecutive, cause_kind, confidence, rank, and_metric, and_op, and_threshold) VALUES
      ('lossy-link', 'peer.loss_ratio', '>=', 0.2, 1, 'link-degraded', 0.8, 12, 'peer.routed_destinations', '>=', 1);

    INSERT OR IGNORE INTO policies (cause_kind, action_kind, cost, risk) VALUES
      ('peer-down', 'reroute-around', 1, 0.1),
      ('peer-down', 'reconnect-members', 2, 0.2),
      ('link-degraded', 'reroute-around', 1, 0.1),
      ('link-degraded', 'quarantine-peer', 3, 0.4),
      ('partitioned', 'reconnect-members', 1, 0.2);
  `,
};

export default migration;
