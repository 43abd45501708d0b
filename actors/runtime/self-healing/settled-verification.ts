/**
 * After a remediation on an actor, its readings as soon as they can be trusted, rather than at the
 * next sample and (for CPU and heap rates) a restarted thread's second reading after a fixed
 * start-up grace: the executor verifies on them (machines/executor.ts).
 *
 * Trusted means settled: a thread that has just been started is loading modules and restoring its
 * state, busy and allocating, and its readings would say nothing about the fault. A thread is
 * settled when, over a span of at least SETTLE_SPAN_MS, its event loop went idle and it ran on or
 * waited for a core less than SETTLED_CPU_SHARE of the time: it is waiting for work, not still
 * starting. A
 * thread that keeps spinning never settles, and the action is judged on the samples as before.
 * Once settled, the actor is probed twice READING_GAP_MS apart (the first reading is the second's
 * baseline, so its CPU share and heap growth are its own, after start-up) and the second reading,
 * with the actor's mailbox depth and repeat crashes, is published as a window of its own
 * (intervalMs 0).
 *
 * An actor without a thread of its own (inline) has nothing to settle: it is probed at once.
 */
import type { ActorCell } from '../supervision/actor-cell.js';
import type { ActorIncarnation } from '../contracts/host.js';
import type { Clock } from '../contracts/clock.js';
import type { TelemetryPoint, TelemetrySample } from '../../../lib/mape/telemetry.js';
import { DEFAULT_VERIFY_WITHIN_MS } from '../../../lib/mape/verify-criteria.js';
import type { RepeatingTimer } from '../../../lib/timing/repeat-every.js';
import { lookEvery } from './look-every.js';

export const SETTLE_LOOK_EVERY_MS = 50;
/** The shortest span a thread is judged settled over: two of its idle turns, not one lucky look. */
export const SETTLE_SPAN_MS = 100;
/** Below the CPU-hog verification's bound (a CPU share of 0.25): a thread still busier than that is not called settled. */
export const SETTLED_CPU_SHARE = 0.2;
/** Between the two readings of a settled thread: its CPU share and heap growth are rates over this span. */
export const READING_GAP_MS = 250;
/** An actor that has not settled by then is left to the samples: the executor gives up on the action at about this time too. */
export const SETTLE_GIVE_UP_MS = DEFAULT_VERIFY_WITHIN_MS;

export interface SettledVerificationInit {
  clock: Clock;
  cells(): ActorCell[];
  /** The sampler's health probe; with `settledBaseline`, the reading may be the next one's baseline although the thread is young. */
  probe(cell: ActorCell, incarnation: ActorIncarnation, settledBaseline: boolean): Promise<TelemetryPoint[]>;
  /** The actor's own readings that need no probe (mailbox depth, repeat crashes). */
  cellPoints(cell: ActorCell): TelemetryPoint[];
  publish(sample: TelemetrySample): void;
  failed(error: unknown): void;
}

interface Pending {
  /** OS time the verification was asked for. */
  askedAt: number;
  /** The incarnation being settled, and the look that opened its current span. */
  incarnation: ActorIncarnation | undefined;
  anchor: { at: number; idleMs: number; wantedMs: number } | undefined;
  /** The first reading is being taken or was taken at this time. */
  firstReadingAt: number | undefined;
  busy: boolean;
}

export class SettledVerification {
  private timer: RepeatingTimer | undefined;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly init: SettledVerificationInit) {}

  start(): void {
    this.timer ??= lookEvery(this.init.clock, SETTLE_LOOK_EVERY_MS, () => this.check(), (error) => this.init.failed(error));
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.pending.clear();
  }

  /** An action was performed on `actorId`: its settled readings are published as soon as there are any. */
  verifySoon(actorId: string): void {
    if (!this.timer) return;
    this.pending.set(actorId, { askedAt: performance.now(), incarnation: undefined, anchor: undefined, firstReadingAt: undefined, busy: false });
  }

  /** One look at every actor awaiting verification (the timer calls it; tests may too). */
  check(): void {
    // OS time: the loop's idle time and the scheduler's times are the OS's.
    const now = performance.now();
    if (this.pending.size === 0) return;
    const cells = this.init.cells();
    for (const [actorId, pending] of this.pending) {
      if (pending.busy) continue;
      if (now - pending.askedAt > SETTLE_GIVE_UP_MS) {
        this.pending.delete(actorId);
        continue;
      }
      const cell = cells.find((candidate) => candidate.id === actorId);
      const incarnation = cell?.state === 'running' ? cell.current : undefined;
      if (!cell || !incarnation) continue;
      if (incarnation !== pending.incarnation) {
        // A first look, or the actor was restarted again: settling starts over.
        pending.incarnation = incarnation;
        pending.anchor = undefined;
        pending.firstReadingAt = undefined;
      }
      try {
        this.step(actorId, cell, incarnation, pending, now);
      } catch (error) {
        this.init.failed(error);
      }
    }
  }

  private step(actorId: string, cell: ActorCell, incarnation: ActorIncarnation, pending: Pending, now: number): void {
    if (pending.firstReadingAt === undefined) {
      if (!this.settled(incarnation, pending, now)) return;
      pending.firstReadingAt = now;
      this.run(pending, async () => {
        // Unanswered (a timeout) or ended: no baseline was taken, and settling starts over.
        if (!answered(await this.init.probe(cell, incarnation, true))) this.startOver(pending);
      });
      return;
    }
    if (now - pending.firstReadingAt < READING_GAP_MS) return;
    this.run(pending, async () => {
      const points = await this.init.probe(cell, incarnation, false);
      // A newer action on the actor asked for a verification of its own; a stopped runtime publishes nothing.
      if (this.pending.get(actorId) !== pending || !this.timer) return;
      // An incarnation that ended during the probe says nothing: the next one is settled afresh.
      if (!answered(points) || cell.current !== incarnation) {
        this.startOver(pending);
        return;
      }
      this.pending.delete(actorId);
      this.init.publish({ at: this.init.clock.now(), intervalMs: 0, points: [...points, ...this.init.cellPoints(cell)] });
    });
  }

  private startOver(pending: Pending): void {
    pending.firstReadingAt = undefined;
    pending.anchor = undefined;
  }

  /**
   * Whether the thread has been idle and nearly off its core over the span since the anchor look.
   * Wanting a core counts as much as running on one: a runaway loop that gets a small share of a
   * busy machine's cores is not settled.
   */
  private settled(incarnation: ActorIncarnation, pending: Pending, now: number): boolean {
    // Without a thread of its own (inline) an actor has nothing to settle.
    if (incarnation.processedCount() === undefined) return true;
    const idleMs = incarnation.loopIdleMs();
    const sched = incarnation.schedStat();
    // A thread that has exited, or a kernel that does not say: not settled.
    if (idleMs === undefined || !sched) return false;
    const wantedMs = sched.runMs + sched.waitMs;
    const anchor = pending.anchor;
    if (!anchor) {
      pending.anchor = { at: now, idleMs, wantedMs };
      return false;
    }
    const spanMs = now - anchor.at;
    if (spanMs < SETTLE_SPAN_MS) return false;
    const settled = idleMs > anchor.idleMs && wantedMs - anchor.wantedMs < spanMs * SETTLED_CPU_SHARE;
    pending.anchor = { at: now, idleMs, wantedMs };
    return settled;
  }

  private run(pending: Pending, work: () => Promise<void>): void {
    pending.busy = true;
    work()
      .catch((error: unknown) => this.init.failed(error))
      .finally(() => {
        pending.busy = false;
      });
  }
}

/** Whether a probe's points carry an answer (a probe unanswered in time or of an ended thread carries none). */
function answered(points: readonly TelemetryPoint[]): boolean {
  return points.some((point) => point.metric === 'actor.unresponsive' && point.value === 0);
}
