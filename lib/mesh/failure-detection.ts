/**
 * How a node finds a peer silent and holds a member dead: the heartbeat detector's timing
 * (actors/peer-link/link-heartbeat.ts) and the suspicion's (actors/peer-link/member-suspicion.ts).
 * Written once: the node configuration's `mesh.failureDetection` is this schema, its defaults the
 * ones below, and the peer link runs with what it parses to.
 */
import { z } from 'zod';

export interface HeartbeatTiming {
  /** Between Pings, and between checks of phi. */
  intervalMs: number;
  /** Phi at which the peer is declared silent. */
  phiThreshold: number;
  minStdDevMs: number;
  acceptablePauseMs: number;
  /** Inter-arrival times the detector keeps. */
  windowSize: number;
}

/**
 * The defaults, for a LAN mesh on nodes that may be busy: a Ping every 100 ms (a few hundred bytes
 * a second per link, sealed); phi 8 (one chance in 10^8 that a peer keeping its rhythm is only late);
 * a least deviation of 50 ms and an acceptable pause of 250 ms, which absorb a garbage collection
 * or a busy moment of either event loop. With Pings on time, a silent peer is declared after about
 * 100 + 250 + 4.9 × 50 ≈ 600 ms of silence, plus up to one interval before the check sees it. The
 * mesh bench (20 node processes on 2 cores) saw 550 to 700 ms. The window of 200 intervals is the last 20 s.
 */
export const DEFAULT_HEARTBEAT_TIMING: HeartbeatTiming = { intervalMs: 100, phiThreshold: 8, minStdDevMs: 50, acceptablePauseMs: 250, windowSize: 200 };

/**
 * Below this phi a link's peer counts as responsive: its frames are no later than one chance in ten
 * of a peer keeping its rhythm (about 400 ms of silence with the default heartbeats). A claim that
 * the peer failed is then taken as one of another node's view, not this one's.
 */
export const RESPONSIVE_PHI = 1;

export interface SuspicionTiming {
  /** With one claimer: how long the member has to refute. */
  maxMs: number;
  /** With `confirmations` claimers more: the least it has. */
  minMs: number;
  confirmations: number;
}

/**
 * A refutation crosses a LAN mesh in tens of milliseconds (a claim out, a record back, a signature
 * and a verification per hop); a second leaves a lone suspicion (one node's link flapped) time to be
 * refuted by a busy member. Confirmations: 2, what the other neighbours of a node in a mesh of
 * degree 3 can give. A frozen node's neighbours all find it silent within a tick or two of each
 * other: with two more claimers it is held dead 250 ms after the first suspicion, about 850 to
 * 950 ms after it froze (the mesh bench: a median of 847 ms).
 */
export const DEFAULT_SUSPICION_TIMING: SuspicionTiming = { maxMs: 1_000, minMs: 250, confirmations: 2 };

const ms = (least: number, most: number) => z.int().min(least).max(most);

/** `mesh.failureDetection`: every key optional, each default the one above. */
export const failureDetectionSchema = z
  .strictObject({
    /** A Ping on every link this often (ms). */
    heartbeatMs: ms(10, 10_000).default(DEFAULT_HEARTBEAT_TIMING.intervalMs),
    /** Phi at which a peer is found silent (8: one chance in 10^8 that it only ran late). */
    phiThreshold: z.number().min(1).max(32).default(DEFAULT_HEARTBEAT_TIMING.phiThreshold),
    /** A pause this long costs a peer no suspicion (a garbage collection, a busy moment) (ms). */
    acceptablePauseMs: ms(0, 60_000).default(DEFAULT_HEARTBEAT_TIMING.acceptablePauseMs),
    /** The least deviation of heartbeat intervals assumed (ms). */
    minStdDevMs: ms(1, 10_000).default(DEFAULT_HEARTBEAT_TIMING.minStdDevMs),
    /** How long one claimer's suspicion waits for a refutation (ms). */
    suspicionMaxMs: ms(1, 600_000).default(DEFAULT_SUSPICION_TIMING.maxMs),
    /** The least it waits, once `confirmations` more members claim it too (ms). */
    suspicionMinMs: ms(1, 600_000).default(DEFAULT_SUSPICION_TIMING.minMs),
    confirmations: z.int().min(1).max(16).default(DEFAULT_SUSPICION_TIMING.confirmations),
  })
  .refine((timing) => timing.suspicionMinMs <= timing.suspicionMaxMs, { message: 'suspicionMinMs is above suspicionMaxMs', path: ['suspicionMinMs'] })
  .prefault({});

export type FailureDetectionOptions = z.output<typeof failureDetectionSchema>;

/** What the peer link runs with, from the configuration. */
export function failureDetectionTimings(options: FailureDetectionOptions): { heartbeat: HeartbeatTiming; suspicion: SuspicionTiming } {
  return {
    heartbeat: { ...DEFAULT_HEARTBEAT_TIMING, intervalMs: options.heartbeatMs, phiThreshold: options.phiThreshold, acceptablePauseMs: options.acceptablePauseMs, minStdDevMs: options.minStdDevMs },
    suspicion: { maxMs: options.suspicionMaxMs, minMs: options.suspicionMinMs, confirmations: options.confirmations },
  };
}
