/**
 * The mesh as telemetry for the MAPE-K loop (lib/mape/metrics.ts's peer.* and mesh.* metrics),
 * from what the peer link knows: its links, its members and its routes. Sources are neighbours'
 * SPIFFE IDs, and `mesh` for the node's routes as a whole.
 *
 * Two paths, as the runtime has for actors: a sample every interval for what is measured over
 * time (a link's phi, round trip and loss, the routes), and an event sample at once for what
 * happens at a moment (a neighbour declared dead). A lost link is reported once, when it has been
 * down for LINK_LOST_AFTER_MS while its peer lives: a link down for an hour is one incident.
 *
 * A neighbour is a peer this node had a link up with during the last NEIGHBOUR_MEMORY_MS: one
 * that died or lost its link stays one long enough for the loop to handle it. Pure: no clock, no I/O.
 */
import { MESH_TARGET } from '../mape/causes.js';
import type { TelemetryPoint, TelemetrySample } from '../mape/telemetry.js';
import type { MemberState } from './membership-state.js';

/** A killed neighbour is held dead well within this (the mesh bench's mttd_ms_silent: under 1.5 s), a live one refutes within it. */
export const LINK_LOST_AFTER_MS = 2_000;
/** How long a neighbour whose link is gone is still reported. */
export const NEIGHBOUR_MEMORY_MS = 300_000;
/** Neighbours tracked at most: the node's links are bounded far below this, gossip cannot grow it. */
export const MAX_NEIGHBOURS = 1_024;

export interface LinkReading {
  peer: string;
  up: boolean;
  /** Down because this node quarantined the peer (quarantine-peer): the loop's own doing, not a lost link. */
  quarantined?: boolean;
  phi?: number;
  rttMs?: number;
  lossRatio?: number;
}

export interface MeshReading {
  self: string | undefined;
  members: readonly Pick<MemberState, 'spiffeId' | 'state'>[];
  links: readonly LinkReading[];
  routes: readonly { destination: string; nextHop: string }[];
  /** Route changes since the node started. */
  routeChanges: number;
}

interface Neighbour {
  lastUpAt: number;
  /** When its link went down (undefined while up). */
  downSince: number | undefined;
  lostReported: boolean;
  deadReported: boolean;
}

export class MeshTelemetry {
  private readonly neighbours = new Map<string, Neighbour>();
  private routeChangesBefore: number | undefined;

  /** Updates what is known of the neighbours; returns an event sample when one was just declared dead. */
  observe(reading: MeshReading, now: number): TelemetrySample | undefined {
    const states = memberStates(reading);
    const linksUp = new Set(reading.links.filter((link) => link.up).map((link) => link.peer));
    for (const peer of linksUp) {
      const known = this.neighbours.get(peer);
      if (known) {
        known.lastUpAt = now;
        known.downSince = undefined;
        known.lostReported = false;
        known.deadReported = false;
      } else if (this.neighbours.size < MAX_NEIGHBOURS) {
        this.neighbours.set(peer, { lastUpAt: now, downSince: undefined, lostReported: false, deadReported: false });
      }
    }
    const points: TelemetryPoint[] = [];
    for (const [peer, neighbour] of this.neighbours) {
      if (linksUp.has(peer)) continue;
      neighbour.downSince ??= now;
      const state = states.get(peer);
      if (state === 'left' || now - neighbour.lastUpAt > NEIGHBOUR_MEMORY_MS) {
        // A graceful leave is no fault; a neighbour gone this long is no longer one.
        this.neighbours.delete(peer);
        continue;
      }
      if (state === 'dead' && !neighbour.deadReported) {
        neighbour.deadReported = true;
        points.push({ metric: 'peer.down', source: peer, value: 1 });
      }
    }
    return points.length > 0 ? { at: now, intervalMs: 0, points } : undefined;
  }

  /** The interval's sample. */
  sample(reading: MeshReading, now: number, intervalMs: number): TelemetrySample {
    // A death this sample is the first to see goes out in it: reported once, by whichever path sees it first.
    const event = this.observe(reading, now);
    const states = memberStates(reading);
    const routedVia = new Map<string, number>();
    for (const route of reading.routes) routedVia.set(route.nextHop, (routedVia.get(route.nextHop) ?? 0) + 1);
    const links = new Map<string, LinkReading>();
    for (const link of reading.links) if (link.up) links.set(link.peer, link);
    const quarantined = new Set(reading.links.filter((link) => link.quarantined === true).map((link) => link.peer));
    /** Neighbours this node reaches through another: the route to them goes around their own link. */
    const around = new Set(reading.routes.filter((route) => route.nextHop !== route.destination).map((route) => route.destination));
    const points: TelemetryPoint[] = [...(event?.points ?? [])];
    const point = (metric: string, source: string, value: number) => points.push({ metric, source, value });
    for (const [peer, neighbour] of this.neighbours) {
      const link = links.get(peer);
      point('peer.routed_destinations', peer, link ? (routedVia.get(peer) ?? 0) : 0);
      point('peer.reached_around', peer, around.has(peer) ? 1 : 0);
      if (link) {
        point('peer.down', peer, 0);
        point('peer.link_lost', peer, 0);
        if (link.phi !== undefined) point('peer.phi', peer, link.phi);
        if (link.rttMs !== undefined) point('peer.rtt_ms', peer, link.rttMs);
        if (link.lossRatio !== undefined) point('peer.loss_ratio', peer, link.lossRatio);
        continue;
      }
      const alive = states.get(peer) === 'alive';
      // A quarantined peer's link is down by the loop's own doing: no incident about it.
      if (alive && !quarantined.has(peer) && !neighbour.lostReported && neighbour.downSince !== undefined && now - neighbour.downSince >= LINK_LOST_AFTER_MS) {
        neighbour.lostReported = true;
        point('peer.link_lost', peer, 1);
      }
    }
    let alive = 0;
    const reachable = new Set(reading.routes.map((route) => route.destination));
    let unreachable = 0;
    for (const member of reading.members) {
      if (member.state !== 'alive') continue;
      alive++;
      if (member.spiffeId !== reading.self && !reachable.has(member.spiffeId)) unreachable++;
    }
    point('mesh.members_alive', MESH_TARGET, alive);
    point('mesh.unreachable_members', MESH_TARGET, unreachable);
    point('mesh.route_changes', MESH_TARGET, reading.routeChanges - (this.routeChangesBefore ?? reading.routeChanges));
    this.routeChangesBefore = reading.routeChanges;
    return { at: now, intervalMs, points };
  }
}

function memberStates(reading: MeshReading): Map<string, MemberState['state']> {
  return new Map(reading.members.map((member) => [member.spiffeId, member.state]));
}
