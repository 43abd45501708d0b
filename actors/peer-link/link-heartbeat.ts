/**
 * Failure detection on one link's connection: both sides send a Ping every heartbeat interval, and
 * every frame that arrives (a Ping, a Pong, data, an acknowledgement) is a sign of life that feeds a
 * phi-accrual detector (lib/mesh/phi-accrual.ts). When phi passes the threshold the peer is declared
 * silent and the connection is closed: a frozen process, a cut cable or a dropped route close
 * nothing by themselves. A Pong answers each Ping, which gives the round trip.
 *
 * Two rules keep a slow node from accusing others (Lifeguard, Dadgar et al. 2018):
 * - while the node holds reading back (its bus is full), it reads nothing, so silence then says
 *   nothing of the peer: the detector is paused and forgets its rhythm;
 * - the node's own lateness (its heartbeat timer firing late: a busy or starved event loop) raises
 *   its local-health score, which stretches the silence it may observe before it accuses (a node
 *   that is itself slow sees everyone late). The score falls back as its timers come on time. A
 *   tick later than the acceptable pause gives no verdict (the next one on time does): the node
 *   itself was away (frozen, starved), and what the peer sent meanwhile waits unread behind that
 *   very timer.
 */
import { DEFAULT_HEARTBEAT_TIMING, type HeartbeatTiming } from '../../lib/mesh/failure-detection.js';
import { PhiAccrualDetector } from '../../lib/mesh/phi-accrual.js';
import type { Clock, TimerHandle } from '../../lib/timing/clock.js';

export { DEFAULT_HEARTBEAT_TIMING, type HeartbeatTiming };

/** Lifeguard's local-health multiplier tops out here: a node at most this many times more patient than when healthy. */
export const MAX_LOCAL_HEALTH_SCORE = 8;
/** On-time ticks in a row that lower the score by one. */
const RECOVERY_TICKS = 10;

/** How healthy this node's own event loop is, from how late its heartbeat timers fire; shared by all its links. */
export class LocalHealth {
  private score = 0;
  private onTime = 0;

  /** A heartbeat timer fired `lateMs` after it was due, for a period of `intervalMs`. */
  observe(lateMs: number, intervalMs: number): void {
    if (lateMs > intervalMs) {
      this.score = Math.min(MAX_LOCAL_HEALTH_SCORE, this.score + 1);
      this.onTime = 0;
    } else if (this.score > 0 && ++this.onTime >= RECOVERY_TICKS) {
      this.score--;
      this.onTime = 0;
    }
  }

  /** 0 when healthy. */
  get current(): number {
    return this.score;
  }

  /** How much longer a silence must be before this node accuses: 1 when healthy. */
  get stretch(): number {
    return this.score + 1;
  }
}

/**
 * A Ping with no Pong within this long counts as lost: a second is ten times the heartbeat
 * interval, far beyond a busy peer's late answer, so a loaded machine reads as late (phi), not lossy.
 */
export const LOSS_TIMEOUT_MS = 1_000;
/** The loss ratio is over this many judged Pings: the last 2 s at the default 100 ms heartbeat. */
export const LOSS_WINDOW = 20;

export interface SilentPeer {
  phi: number;
  silenceMs: number;
}

export class LinkHeartbeat {
  private readonly detector: PhiAccrualDetector;
  private timer: TimerHandle | undefined;
  private dueAt = 0;
  private nonce = 0;
  private pingSentAt: number | undefined;
  private lastArrival: number | undefined;
  private paused = false;
  private stopped = false;
  private smoothedRttMs: number | undefined;
  /** Pings not answered yet, by nonce, with when they went out (at most LOSS_WINDOW). */
  private readonly outstanding = new Map<number, number>();
  /** The last LOSS_WINDOW judged Pings: true when lost. */
  private readonly judged: boolean[] = [];
  /** Pings sent within LOSS_TIMEOUT_MS, and two more for timers running late. */
  private readonly maxOutstanding: number;

  constructor(
    private readonly options: {
      clock: Clock;
      timing: HeartbeatTiming;
      health: LocalHealth;
      ping(nonce: number): void;
      onSilent(silent: SilentPeer): void;
      /** The first round trip was measured: what the link costs can be known now, not at the next reading. */
      onFirstRoundTrip?(): void;
    },
  ) {
    const { timing } = options;
    this.maxOutstanding = Math.ceil(LOSS_TIMEOUT_MS / timing.intervalMs) + 2;
    this.detector = new PhiAccrualDetector({ windowSize: timing.windowSize, minStdDevMs: timing.minStdDevMs, acceptablePauseMs: timing.acceptablePauseMs, firstIntervalMs: timing.intervalMs });
  }

  /** Starts pinging and watching; the connection was just bound, which counts as the first sign of life. */
  start(): void {
    this.arrived();
    this.tick();
  }

  /** A frame arrived from the peer. */
  arrived(): void {
    if (this.stopped || this.paused) return;
    const now = this.options.clock.monotonicNow();
    this.lastArrival = now;
    this.detector.heartbeat(now);
  }

  /** The peer answered a Ping: only the latest one's answer counts, so a late answer never reads as a fast one. */
  pong(nonce: number): void {
    if (this.outstanding.delete(nonce)) this.judge(false);
    if (this.pingSentAt === undefined || nonce !== this.nonce) return;
    const rtt = this.options.clock.monotonicNow() - this.pingSentAt;
    this.pingSentAt = undefined;
    // Smoothed as TCP smooths its RTT (RFC 6298): an eighth of each new sample.
    const first = this.smoothedRttMs === undefined;
    this.smoothedRttMs = first ? rtt : this.smoothedRttMs! + (rtt - this.smoothedRttMs!) / 8;
    if (first) this.options.onFirstRoundTrip?.();
  }

  /** The node holds reading back (true) or reads again (false): silence while held is not the peer's. */
  hold(held: boolean): void {
    if (held === this.paused) return;
    this.paused = held;
    // Pings out while nothing is read get their answers unread: not the link's loss.
    this.outstanding.clear();
    if (!held) {
      this.detector.reset();
      this.arrived();
    }
  }

  stop(): void {
    this.stopped = true;
    this.options.clock.clearTimeout(this.timer);
  }

  /** Phi now, as this node judges it (its own lateness stretching the silence); 0 while paused. */
  get phi(): number {
    if (this.paused || this.lastArrival === undefined) return 0;
    const now = this.options.clock.monotonicNow();
    return this.detector.phi(this.lastArrival + (now - this.lastArrival) / this.options.health.stretch);
  }

  get rttMs(): number | undefined {
    return this.smoothedRttMs;
  }

  /** The share of the last judged Pings that got no Pong within LOSS_TIMEOUT_MS; 0 before any was judged. */
  get lossRatio(): number {
    if (this.judged.length === 0) return 0;
    let lost = 0;
    for (const wasLost of this.judged) if (wasLost) lost++;
    return lost / this.judged.length;
  }

  private judge(lost: boolean): void {
    this.judged.push(lost);
    if (this.judged.length > LOSS_WINDOW) this.judged.shift();
  }

  /** Pings older than LOSS_TIMEOUT_MS still unanswered are lost (oldest first: the map keeps sending order). */
  private judgeLate(now: number): void {
    for (const [nonce, sentAt] of this.outstanding) {
      if (now - sentAt < LOSS_TIMEOUT_MS) break;
      this.outstanding.delete(nonce);
      this.judge(true);
    }
  }

  private tick(): void {
    if (this.stopped) return;
    const { clock, timing, health } = this.options;
    const now = clock.monotonicNow();
    const lateMs = this.dueAt > 0 ? now - this.dueAt : 0;
    if (this.dueAt > 0) health.observe(lateMs, timing.intervalMs);
    // A tick this late means this node was away itself (stopped, starved): the peer's frames may be
    // waiting unread behind this very timer. No verdict this tick (the next one, on time, judges
    // after they are read), and the interval that spans the absence is not taken as the peer's rhythm.
    const away = lateMs > timing.acceptablePauseMs;
    if (away) this.detector.skipNextInterval();
    const phi = away ? 0 : this.phi;
    if (phi >= timing.phiThreshold) {
      this.stop();
      this.options.onSilent({ phi, silenceMs: now - (this.lastArrival ?? now) });
      return;
    }
    // While this node was away its peer's answers wait unread behind this timer: judged on the next tick.
    if (!away && !this.paused) this.judgeLate(now);
    this.nonce = (this.nonce + 1) >>> 0;
    this.pingSentAt = now;
    if (!this.paused) {
      this.outstanding.set(this.nonce, now);
      // Bounded by what can be outstanding before a Ping is judged: never evicted unjudged, at any heartbeat.
      if (this.outstanding.size > this.maxOutstanding) this.outstanding.delete(this.outstanding.keys().next().value!);
    }
    this.options.ping(this.nonce);
    this.dueAt = now + timing.intervalMs;
    this.timer = clock.setTimeout(() => this.tick(), timing.intervalMs);
  }
}
