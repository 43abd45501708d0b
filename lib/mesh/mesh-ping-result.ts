/**
 * What `x0tta6bl4 mesh ping` asks of the peer-link actor (bus topic `mesh.ping`, a request) and what
 * it answers: end-to-end pings over the mesh (actors/peer-link/mesh-ping.ts), each reply's round
 * trip and the hops it took each way. One schema per direction; the types are derived from them.
 */
import { z } from 'zod';

/** Pings one request may send: a diagnosis, not a load generator. */
export const MAX_PINGS = 100;

export const meshPingRequestSchema = z.strictObject({
  to: z.string().min(1),
  count: z.int().min(1).max(MAX_PINGS),
  /** Between one ping and the next. */
  intervalMs: z.int().min(10).max(10_000),
  /** How long a ping waits for its reply before it counts as lost. */
  timeoutMs: z.int().min(100).max(60_000),
});

export const meshPingReplySchema = z.strictObject({
  seq: z.int().min(1),
  /** Round trip, ms; absent for a ping whose reply did not come within the timeout. */
  rttMs: z.number().nonnegative().optional(),
  /** Hops the ping took to the destination and the reply took back (1: a direct link). */
  hopsOut: z.int().min(0).optional(),
  hopsBack: z.int().min(0).optional(),
  /** The neighbour the ping went to (the route's next hop when it was sent), if there was a route. */
  via: z.string().optional(),
});

export const meshPingResultSchema = z.strictObject({
  to: z.string(),
  replies: z.array(meshPingReplySchema).max(MAX_PINGS),
  /** Why no ping could be sent at all (an unknown destination, no identity yet), if so. */
  refused: z.string().optional(),
});

export type MeshPingRequest = z.infer<typeof meshPingRequestSchema>;
export type MeshPingReply = z.infer<typeof meshPingReplySchema>;
export type MeshPingResult = z.infer<typeof meshPingResultSchema>;
