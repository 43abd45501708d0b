/**
 * What the peer-link actor reports of its routes (actors/peer-link/mesh-routing.ts) inside
 * `mesh.links`: the route this node uses to each member it can reach, its own sequence number, and
 * what it refused of its neighbours' updates, by reason. One schema; the type is derived from it.
 */
import { z } from 'zod';
import { MAX_MEMBERS } from './member-limits.js';

const count = z.int().min(0);

/** Why a route update or request from a neighbour was refused (lib/mesh/route-table.ts, route-message.ts). */
export const ROUTE_REFUSALS = ['oversized', 'malformed', 'own-prefix', 'not-admitted', 'too-many-destinations', 'seqno-too-far', 'hop-limit'] as const;
export type RouteRefusalReason = (typeof ROUTE_REFUSALS)[number];

export const routeStateSchema = z.strictObject({
  destination: z.string(),
  /** The neighbour messages to the destination go to now. */
  nextHop: z.string(),
  /** The sum of link costs along the route (lib/mesh/link-cost.ts: about 96 a hop). */
  metric: z.int().min(0),
  /** The destination's sequence number this route carries (RFC 8966). */
  seqno: z.int().min(0),
});

export const routingStateSchema = z.strictObject({
  /** This node's own sequence number: raised when a neighbour asks for a newer route to it. */
  seqno: z.int().min(0),
  routes: z.array(routeStateSchema).max(MAX_MEMBERS),
  /** Routes that appeared, moved to another next hop or were withdrawn. */
  routeChanges: count,
  /** Routing messages received from neighbours, and entries or requests in them refused, by reason. */
  received: count,
  refused: z.partialRecord(z.enum(ROUTE_REFUSALS), count),
});

export type RouteState = z.infer<typeof routeStateSchema>;
export type RoutingState = z.infer<typeof routingStateSchema>;

/** Before the node has an identity: no routes, nothing received. */
export const NO_ROUTES: RoutingState = { seqno: 0, routes: [], routeChanges: 0, received: 0, refused: {} };
