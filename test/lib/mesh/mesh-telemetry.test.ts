/**
 * The mesh as the MAPE-K loop sees it (lib/mesh/mesh-telemetry.ts): a neighbour with its link up
 * gets its measures and the count of destinations routed through it every interval; a peer never
 * linked gets nothing; a neighbour declared dead after its link went down is an event, once; a link
 * down while its peer lives is reported lost once it has been down LINK_LOST_AFTER_MS, once; a
 * neighbour that left, or has been gone NEIGHBOUR_MEMORY_MS, is forgotten; the mesh as a whole gets
 * its live members, the live members no route leads to and the route changes of the interval; and
 * no more than MAX_NEIGHBOURS neighbours are tracked. Time is only what the test passes as `now`.
 */
import { describe, expect, it } from 'vitest';
import { MESH_TARGET } from '../../../lib/mape/causes.js';
import type { TelemetrySample } from '../../../lib/mape/telemetry.js';
import type { MemberStatus } from '../../../lib/mesh/member-limits.js';
import { LINK_LOST_AFTER_MS, MAX_NEIGHBOURS, MeshTelemetry, NEIGHBOUR_MEMORY_MS, type LinkReading, type MeshReading } from '../../../lib/mesh/mesh-telemetry.js';

const node = (name: string) => `spiffe://mesh.test/node/${name}`;
const [SELF, B, C, D, E, F] = ['self', 'b', 'c', 'd', 'e', 'f'].map(node) as [string, string, string, string, string, string];
const INTERVAL_MS = 1_000;

interface ReadingParts {
  /** Members other than this node, which is always alive. */
  members?: Record<string, MemberStatus>;
  links?: LinkReading[];
  /** destination → next hop */
  routes?: Record<string, string>;
  routeChanges?: number;
}

function reading({ members = {}, links = [], routes = {}, routeChanges = 0 }: ReadingParts = {}): MeshReading {
  return {
    self: SELF,
    members: [{ spiffeId: SELF, state: 'alive' }, ...Object.entries(members).map(([spiffeId, state]) => ({ spiffeId, state }))],
    links,
    routes: Object.entries(routes).map(([destination, nextHop]) => ({ destination, nextHop })),
    routeChanges,
  };
}

const up = (peer: string, measures: Omit<LinkReading, 'peer' | 'up'> = {}): LinkReading => ({ peer, up: true, ...measures });
const down = (peer: string): LinkReading => ({ peer, up: false });

/** The sample's points about one source, metric → value. */
function pointsOf(sample: TelemetrySample, source: string): Record<string, number> {
  const points: Record<string, number> = {};
  for (const point of sample.points) {
    if (point.source !== source) continue;
    // A metric twice for one source in one sample would be ambiguous to the monitor.
    expect(points, `${point.metric} twice for ${source}`).not.toHaveProperty([point.metric]);
    points[point.metric] = point.value;
  }
  return points;
}

/** Every source that has at least one peer.* point. */
const peerSources = (sample: TelemetrySample) => new Set(sample.points.filter((point) => point.metric.startsWith('peer.')).map((point) => point.source));

describe('mesh telemetry: neighbours in the interval sample', () => {
  it('gives a neighbour with its link up the destinations routed through it, down 0, link_lost 0, and the phi, round trip and loss it was given', () => {
    const telemetry = new MeshTelemetry();
    const sample = telemetry.sample(
      reading({
        members: { [B]: 'alive', [C]: 'alive', [D]: 'alive', [E]: 'alive' },
        links: [up(B, { phi: 0.4, rttMs: 2.5, lossRatio: 0.1 }), up(C)],
        routes: { [B]: B, [D]: B, [E]: B, [C]: C },
      }),
      5_000,
      INTERVAL_MS,
    );
    expect(sample.at).toBe(5_000);
    expect(sample.intervalMs).toBe(INTERVAL_MS);
    expect(pointsOf(sample, B)).toStrictEqual({ 'peer.routed_destinations': 3, 'peer.reached_around': 0, 'peer.down': 0, 'peer.link_lost': 0, 'peer.phi': 0.4, 'peer.rtt_ms': 2.5, 'peer.loss_ratio': 0.1 });
    // No measure given is no point, rather than a made-up 0 the detector rules would read as healthy.
    expect(pointsOf(sample, C)).toStrictEqual({ 'peer.routed_destinations': 1, 'peer.reached_around': 0, 'peer.down': 0, 'peer.link_lost': 0 });
  });

  it('counts no destination through a neighbour whose link is down, though a route not yet withdrawn still names it', () => {
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive', [D]: 'alive' }, links: [up(B)], routes: { [B]: B, [D]: B } }), 0);
    const sample = telemetry.sample(reading({ members: { [B]: 'alive', [D]: 'alive' }, links: [down(B)], routes: { [B]: B, [D]: B } }), 100, INTERVAL_MS);
    expect(pointsOf(sample, B)).toStrictEqual({ 'peer.routed_destinations': 0, 'peer.reached_around': 0 });
  });

  it('counts 0 destinations through a neighbour no route uses, and reports a measure of 0 as given', () => {
    const telemetry = new MeshTelemetry();
    const sample = telemetry.sample(reading({ members: { [B]: 'alive' }, links: [up(B, { phi: 0, rttMs: 0, lossRatio: 0 })] }), 0, INTERVAL_MS);
    expect(pointsOf(sample, B)).toStrictEqual({ 'peer.routed_destinations': 0, 'peer.reached_around': 0, 'peer.down': 0, 'peer.link_lost': 0, 'peer.phi': 0, 'peer.rtt_ms': 0, 'peer.loss_ratio': 0 });
  });

  it('reports nothing of a peer it never had a link up with, though it is a member, has a link down, or is a next hop', () => {
    const telemetry = new MeshTelemetry();
    const parts: ReadingParts = { members: { [B]: 'alive', [C]: 'dead', [D]: 'alive' }, links: [up(B), down(C), down(D)], routes: { [D]: D, [E]: D } };
    expect(telemetry.observe(reading(parts), 0)).toBeUndefined();
    const sample = telemetry.sample(reading(parts), LINK_LOST_AFTER_MS * 10, INTERVAL_MS);
    expect(peerSources(sample)).toEqual(new Set([B]));
  });
});

describe('mesh telemetry: reached around', () => {
  it('says whether the route to a neighbour goes through another neighbour, around its own link', () => {
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive', [C]: 'alive' }, links: [up(B), up(C)] }), 0);
    // B over its own link; C through B.
    const direct = telemetry.sample(reading({ members: { [B]: 'alive', [C]: 'alive' }, links: [up(B), up(C)], routes: { [B]: B, [C]: B } }), 1_000, INTERVAL_MS);
    expect(pointsOf(direct, B)['peer.reached_around']).toBe(0);
    expect(pointsOf(direct, C)['peer.reached_around']).toBe(1);
    // No route at all: not reached around either.
    const none = telemetry.sample(reading({ members: { [B]: 'alive', [C]: 'alive' }, links: [up(B), up(C)] }), 2_000, INTERVAL_MS);
    expect(pointsOf(none, C)['peer.reached_around']).toBe(0);
  });

  it('reports no lost link for a peer this node quarantined itself: the loop\'s own doing', () => {
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 0);
    const quarantined = { peer: B, up: false, quarantined: true };
    telemetry.sample(reading({ members: { [B]: 'alive' }, links: [quarantined] }), 1_000, INTERVAL_MS);
    const later = telemetry.sample(reading({ members: { [B]: 'alive' }, links: [quarantined] }), 1_000 + LINK_LOST_AFTER_MS * 2, INTERVAL_MS);
    expect(pointsOf(later, B)).not.toHaveProperty(['peer.link_lost']);
  });
});

describe('mesh telemetry: a neighbour declared dead', () => {
  it('returns an event sample with peer.down 1 once, when a neighbour whose link went down is declared dead, and not on later observations', () => {
    const telemetry = new MeshTelemetry();
    expect(telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 0)).toBeUndefined();
    expect(telemetry.observe(reading({ members: { [B]: 'alive' }, links: [down(B)] }), 100)).toBeUndefined();
    expect(telemetry.observe(reading({ members: { [B]: 'suspect' }, links: [down(B)] }), 200)).toBeUndefined();
    expect(telemetry.observe(reading({ members: { [B]: 'dead' }, links: [down(B)] }), 300)).toEqual({ at: 300, intervalMs: 0, points: [{ metric: 'peer.down', source: B, value: 1 }] });
    expect(telemetry.observe(reading({ members: { [B]: 'dead' }, links: [down(B)] }), 400)).toBeUndefined();
    expect(telemetry.observe(reading({ members: { [B]: 'dead' } }), 500), 'nor once its link is gone from the table').toBeUndefined();
    // Nor in the interval's sample: the event was the report, and the sample says 0 only of live links.
    const sample = telemetry.sample(reading({ members: { [B]: 'dead' } }), 1_000, INTERVAL_MS);
    expect(pointsOf(sample, B)).toStrictEqual({ 'peer.routed_destinations': 0, 'peer.reached_around': 0 });
  });

  it('carries the death in the interval sample when that sample is the first to see it, and not again after', () => {
    // The interval's timer can fire before the state report's: the death must not be lost between the two paths.
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 0);
    const sample = telemetry.sample(reading({ members: { [B]: 'dead' }, links: [down(B)] }), 1_000, INTERVAL_MS);
    expect(pointsOf(sample, B)).toStrictEqual({ 'peer.down': 1, 'peer.routed_destinations': 0, 'peer.reached_around': 0 });
    expect(telemetry.observe(reading({ members: { [B]: 'dead' }, links: [down(B)] }), 1_100)).toBeUndefined();
    expect(pointsOf(telemetry.sample(reading({ members: { [B]: 'dead' } }), 2_000, INTERVAL_MS), B)).toStrictEqual({ 'peer.routed_destinations': 0, 'peer.reached_around': 0 });
  });

  it('does not report a neighbour dead while its link is still up: the link says otherwise', () => {
    const telemetry = new MeshTelemetry();
    expect(telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 0)).toBeUndefined();
    expect(telemetry.observe(reading({ members: { [B]: 'dead' }, links: [up(B)] }), 100)).toBeUndefined();
    // Once its link goes down too, it is reported.
    expect(telemetry.observe(reading({ members: { [B]: 'dead' }, links: [down(B)] }), 200)?.points).toEqual([{ metric: 'peer.down', source: B, value: 1 }]);
  });

  it('reports a neighbour again when it relinks and dies again', () => {
    const telemetry = new MeshTelemetry();
    const dead = reading({ members: { [B]: 'dead' }, links: [down(B)] });
    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 0);
    expect(telemetry.observe(dead, 100)?.points).toEqual([{ metric: 'peer.down', source: B, value: 1 }]);
    expect(telemetry.observe(dead, 200)).toBeUndefined();
    // It restarted and came back: a new life, and a new death is a new incident.
    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 300);
    expect(telemetry.observe(dead, 400)).toEqual({ at: 400, intervalMs: 0, points: [{ metric: 'peer.down', source: B, value: 1 }] });
    expect(telemetry.observe(dead, 500)).toBeUndefined();
  });

  it('reports every neighbour declared dead at the same observation in one event sample, and not a member that was never a neighbour', () => {
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive', [C]: 'alive' }, links: [up(B), up(C)] }), 0);
    const event = telemetry.observe(reading({ members: { [B]: 'dead', [C]: 'dead', [D]: 'dead' }, links: [down(B), down(C)] }), 100);
    expect(event?.points).toEqual([
      { metric: 'peer.down', source: B, value: 1 },
      { metric: 'peer.down', source: C, value: 1 },
    ]);
  });
});

describe('mesh telemetry: a lost link', () => {
  /** B linked at 0, its link seen down at `downAt`, while B lives. */
  function lostAt(downAt: number) {
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 0);
    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [down(B)] }), downAt);
    return telemetry;
  }
  const linkLost = (sample: TelemetrySample) => pointsOf(sample, B)['peer.link_lost'];

  it('reports peer.link_lost 1 in the first sample at or after LINK_LOST_AFTER_MS of a link down while its member is alive, and only once', () => {
    const downAt = 1_000;
    const telemetry = lostAt(downAt);
    const alive = reading({ members: { [B]: 'alive' }, links: [down(B)] });
    expect(linkLost(telemetry.sample(alive, downAt + LINK_LOST_AFTER_MS - 1, INTERVAL_MS)), 'not yet').toBeUndefined();
    expect(linkLost(telemetry.sample(alive, downAt + LINK_LOST_AFTER_MS, INTERVAL_MS))).toBe(1);
    // A link down for an hour is one incident.
    expect(linkLost(telemetry.sample(alive, downAt + LINK_LOST_AFTER_MS + 1, INTERVAL_MS))).toBeUndefined();
    expect(linkLost(telemetry.sample(alive, downAt + 60_000, INTERVAL_MS))).toBeUndefined();
  });

  it('counts the time down from the first observation that saw the link down', () => {
    // Down first seen by a sample: the sample itself observes.
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 0);
    const alive = reading({ members: { [B]: 'alive' }, links: [down(B)] });
    expect(linkLost(telemetry.sample(alive, 5_000, INTERVAL_MS))).toBeUndefined();
    expect(linkLost(telemetry.sample(alive, 5_000 + LINK_LOST_AFTER_MS - 1, INTERVAL_MS))).toBeUndefined();
    expect(linkLost(telemetry.sample(alive, 5_000 + LINK_LOST_AFTER_MS, INTERVAL_MS))).toBe(1);
  });

  it('does not report a lost link while the member is suspect or dead: that is a peer down, not a link', () => {
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive', [C]: 'alive' }, links: [up(B), up(C)] }), 0);
    const parts: ReadingParts = { members: { [B]: 'suspect', [C]: 'dead' }, links: [down(B), down(C)] };
    telemetry.observe(reading(parts), 100);
    for (const now of [100 + LINK_LOST_AFTER_MS, 100 + 2 * LINK_LOST_AFTER_MS, 100 + 10 * LINK_LOST_AFTER_MS]) {
      const sample = telemetry.sample(reading(parts), now, INTERVAL_MS);
      expect(pointsOf(sample, B)).toStrictEqual({ 'peer.routed_destinations': 0, 'peer.reached_around': 0 });
      expect(pointsOf(sample, C)).toStrictEqual({ 'peer.routed_destinations': 0, 'peer.reached_around': 0 });
    }
  });

  it('reports the link lost once a suspect member refutes while its link stays down', () => {
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 0);
    telemetry.observe(reading({ members: { [B]: 'suspect' }, links: [down(B)] }), 100);
    expect(linkLost(telemetry.sample(reading({ members: { [B]: 'suspect' }, links: [down(B)] }), 100 + LINK_LOST_AFTER_MS, INTERVAL_MS))).toBeUndefined();
    // It lives, yet this node still has no link to it.
    expect(linkLost(telemetry.sample(reading({ members: { [B]: 'alive' }, links: [down(B)] }), 200 + LINK_LOST_AFTER_MS, INTERVAL_MS))).toBe(1);
  });

  it('never reports a link that came back within LINK_LOST_AFTER_MS, and reports it again once relinked and lost again', () => {
    const telemetry = lostAt(1_000);
    // Back up before LINK_LOST_AFTER_MS: a blip, not an incident.
    const back = telemetry.sample(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 1_000 + LINK_LOST_AFTER_MS - 1, INTERVAL_MS);
    expect(linkLost(back)).toBe(0);
    const alive = reading({ members: { [B]: 'alive' }, links: [down(B)] });
    // Down again: its time down starts over from here.
    const downAgain = 1_000 + LINK_LOST_AFTER_MS + 1;
    expect(linkLost(telemetry.sample(alive, downAgain, INTERVAL_MS))).toBeUndefined();
    expect(linkLost(telemetry.sample(alive, downAgain + LINK_LOST_AFTER_MS - 1, INTERVAL_MS))).toBeUndefined();
    expect(linkLost(telemetry.sample(alive, downAgain + LINK_LOST_AFTER_MS, INTERVAL_MS))).toBe(1);

    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 20_000);
    telemetry.observe(alive, 21_000);
    expect(linkLost(telemetry.sample(alive, 21_000 + LINK_LOST_AFTER_MS, INTERVAL_MS)), 'a second loss is a second incident').toBe(1);
  });
});

describe('mesh telemetry: forgetting neighbours', () => {
  it('forgets a neighbour whose member left: no points, and no event when it is later held dead', () => {
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive', [C]: 'alive' }, links: [up(B), up(C)] }), 0);
    telemetry.observe(reading({ members: { [B]: 'left', [C]: 'alive' }, links: [down(B), up(C)] }), 100);
    const sample = telemetry.sample(reading({ members: { [B]: 'left', [C]: 'alive' }, links: [down(B), up(C)] }), 100 + LINK_LOST_AFTER_MS, INTERVAL_MS);
    expect(peerSources(sample)).toEqual(new Set([C]));
    expect(telemetry.observe(reading({ members: { [B]: 'dead', [C]: 'alive' }, links: [down(B), up(C)] }), 5_000)).toBeUndefined();
  });

  it('keeps a neighbour NEIGHBOUR_MEMORY_MS after its link was last seen up, and forgets it after', () => {
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 1_000);
    const suspect = reading({ members: { [B]: 'suspect' }, links: [down(B)] });
    telemetry.observe(suspect, 2_000);
    expect(peerSources(telemetry.sample(suspect, 1_000 + NEIGHBOUR_MEMORY_MS, INTERVAL_MS))).toEqual(new Set([B]));
    expect(peerSources(telemetry.sample(suspect, 1_000 + NEIGHBOUR_MEMORY_MS + 1, INTERVAL_MS))).toEqual(new Set());
    // Held dead long after: no longer a neighbour, so no event.
    expect(telemetry.observe(reading({ members: { [B]: 'dead' }, links: [down(B)] }), 1_000 + NEIGHBOUR_MEMORY_MS + 2)).toBeUndefined();
  });

  it('tracks a forgotten peer again once a link with it comes up', () => {
    const telemetry = new MeshTelemetry();
    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 0);
    telemetry.observe(reading({ members: { [B]: 'left' }, links: [down(B)] }), 100);
    telemetry.observe(reading({ members: { [B]: 'alive' }, links: [up(B)] }), 200);
    expect(telemetry.observe(reading({ members: { [B]: 'dead' }, links: [down(B)] }), 300)?.points).toEqual([{ metric: 'peer.down', source: B, value: 1 }]);
  });
});

describe('mesh telemetry: the mesh as a whole', () => {
  it('counts the live members (this node among them) and the live members other than itself that no route leads to', () => {
    const telemetry = new MeshTelemetry();
    const sample = telemetry.sample(
      reading({
        members: { [B]: 'alive', [C]: 'alive', [D]: 'suspect', [E]: 'dead', [F]: 'left' },
        links: [up(B)],
        // A route to a suspect member; none to C, though it lives; none to this node itself, as ever.
        routes: { [B]: B, [D]: B },
      }),
      0,
      INTERVAL_MS,
    );
    expect(pointsOf(sample, MESH_TARGET)).toStrictEqual({ 'mesh.members_alive': 3, 'mesh.unreachable_members': 1, 'mesh.route_changes': 0 });
  });

  it('counts no member unreachable when every live one has a route, and a route to a member not alive does not count', () => {
    const telemetry = new MeshTelemetry();
    const sample = telemetry.sample(reading({ members: { [B]: 'alive', [C]: 'dead' }, links: [up(B)], routes: { [B]: B, [C]: B } }), 0, INTERVAL_MS);
    expect(pointsOf(sample, MESH_TARGET)).toMatchObject({ 'mesh.members_alive': 2, 'mesh.unreachable_members': 0 });
  });

  it('reports the route changes since the previous sample, 0 on the first whatever the count since start', () => {
    const telemetry = new MeshTelemetry();
    const changes = (routeChanges: number, now: number) => pointsOf(telemetry.sample(reading({ routeChanges }), now, INTERVAL_MS), MESH_TARGET)['mesh.route_changes'];
    expect(changes(7, 1_000)).toBe(0);
    expect(changes(10, 2_000)).toBe(3);
    expect(changes(10, 3_000)).toBe(0);
    // Observations between samples do not move the baseline.
    telemetry.observe(reading({ routeChanges: 12 }), 3_500);
    expect(changes(15, 4_000)).toBe(5);
  });

  it(`tracks at most ${MAX_NEIGHBOURS} neighbours, and makes room for a new one when one is forgotten`, () => {
    const telemetry = new MeshTelemetry();
    const peers = Array.from({ length: MAX_NEIGHBOURS + 5 }, (_, index) => node(`n${index}`));
    const all = reading({ links: peers.map((peer) => up(peer)) });
    const sample = telemetry.sample(all, 0, INTERVAL_MS);
    const tracked = peerSources(sample);
    expect(tracked.size).toBe(MAX_NEIGHBOURS);
    // The first come are kept; the ones beyond the bound are not.
    expect(tracked.has(peers[0]!)).toBe(true);
    expect(tracked.has(peers[MAX_NEIGHBOURS - 1]!)).toBe(true);
    expect(tracked.has(peers[MAX_NEIGHBOURS]!)).toBe(false);

    // One neighbour leaves: the next one seen with a link up takes its place.
    const leaving = peers[0]!;
    telemetry.observe(reading({ members: { [leaving]: 'left' }, links: peers.slice(1, MAX_NEIGHBOURS).map((peer) => up(peer)) }), 100);
    const after = peerSources(telemetry.sample(reading({ links: peers.slice(1).map((peer) => up(peer)) }), 200, INTERVAL_MS));
    expect(after.size).toBe(MAX_NEIGHBOURS);
    expect(after.has(leaving)).toBe(false);
    expect(after.has(peers[MAX_NEIGHBOURS]!)).toBe(true);
    expect(after.has(peers[MAX_NEIGHBOURS + 1]!)).toBe(false);
  });
});
