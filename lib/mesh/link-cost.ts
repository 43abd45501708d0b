/**
 * The cost of a link for routing (mesh-routing.ts), from what its failure detector measures: a hop
 * is worth 96 (Babel's default for a wired link, RFC 8966 Appendix A), divided by the share of
 * heartbeats answered (Babel's ETX, Appendix A.2.2: a link losing half its probes costs two hops),
 * to which the round trip adds on a log scale and a late peer adds a penalty. A log scale, because round trips on one machine
 * or a LAN (0.1 to 2 ms) should not outweigh a hop, while a link ten times slower than another
 * (a congested or distant one) should cost about a hop more. Costs are quantised (COST_STEP) so
 * the jitter of every heartbeat does not become a routing update.
 */

/** What one hop costs, whatever its round trip. */
export const HOP_COST = 96;
/** Added per doubling of (1 + RTT / 10 ms): 10 ms adds 32, 70 ms 96 (a hop), 630 ms 192. */
export const RTT_COST_PER_DOUBLING = 32;
/** Added while the peer's frames are late (phi ≥ 1): a link about to be declared silent is avoided before it is. */
export const LATE_PENALTY = 2 * HOP_COST;
/**
 * Added while the MAPE-K loop avoids the link (reroute-around): a path of 16 hops, so a route
 * leaves it wherever another way exists and keeps it where none does.
 */
export const AVOID_PENALTY = 16 * HOP_COST;
/** Loss counts up to this share: beyond it the link is as good as lost, and its detector will say so. */
const MAX_COUNTED_LOSS = 0.9;
/** Costs are multiples of this. */
export const COST_STEP = 8;
/** The largest finite cost a link can have, a multiple of COST_STEP (Babel's metric is 16-bit, 0xffff meaning unreachable). */
export const MAX_LINK_COST = 0x0ff8;

export interface LinkQuality {
  /** Smoothed heartbeat round trip, ms; unknown before the first pong. */
  rttMs?: number;
  /** The failure detector's phi now. */
  phi?: number;
  /** Share of the last heartbeats unanswered (0..1). */
  lossRatio?: number;
  /** The MAPE-K loop avoids the link (reroute-around). */
  avoided?: boolean;
}

export function linkCost(quality: LinkQuality): number {
  const rtt = quality.rttMs !== undefined && Number.isFinite(quality.rttMs) ? Math.max(0, quality.rttMs) : 0;
  const late = quality.phi !== undefined && quality.phi >= 1 ? LATE_PENALTY : 0;
  const loss = quality.lossRatio !== undefined && Number.isFinite(quality.lossRatio) ? Math.min(MAX_COUNTED_LOSS, Math.max(0, quality.lossRatio)) : 0;
  const avoid = quality.avoided === true ? AVOID_PENALTY : 0;
  const raw = HOP_COST / (1 - loss) + RTT_COST_PER_DOUBLING * Math.log2(1 + rtt / 10) + late + avoid;
  return Math.min(MAX_LINK_COST, Math.round(raw / COST_STEP) * COST_STEP);
}
