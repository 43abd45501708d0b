/**
 * A supervisor with OTP semantics (see supervision-spec.ts). Exits of children are handled
 * one at a time, in order, so two crashes arriving together cannot interleave their restarts.
 */
import { restartDelayMs, type BackoffPolicy } from './backoff.js';
import { IntensityExceededError } from '../errors.js';
import type { ExitInfo } from '../contracts/host.js';
import type { SupervisorStatus } from '../ops/node-status.js';
import type { SupervisedChild } from './supervised-child.js';
import type { RestartType, Strategy } from '../contracts/supervision-spec.js';
import type { Clock } from '../contracts/clock.js';
import type { Random } from '../contracts/random.js';

/**
 * Restarts the MAPE loop orders may come this many times as often as crashes before the supervisor
 * gives up: each is a planned action with its own verification, and a node healing several faults
 * in a row (the mape bench injects one every few seconds) restarts more often than a crash loop
 * would be let to, yet a loop whose cures never last is stopped within the period.
 */
export const ORDERED_BUDGET_FACTOR = 3;

export interface SupervisorInit {
  id: string;
  strategy: Strategy;
  intensity: number;
  periodMs: number;
  restart: RestartType;
  backoff: BackoffPolicy;
  children: SupervisedChild[];
  log: SupervisorLog;
  /** The intensity window and the backoff waits run on it. */
  clock: Clock;
  /** The backoff's jitter. */
  random: Random;
}

export interface SupervisorLog {
  childExited(supervisorId: string, childId: string, info: ExitInfo): void;
  restarting(supervisorId: string, childIds: string[], delayMs: number): void;
  childStarted(supervisorId: string, childId: string): void;
  childStopped(supervisorId: string, childId: string): void;
  gaveUp(error: IntensityExceededError): void;
}

type SupervisorState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

export class Supervisor implements SupervisedChild {
  private state: SupervisorState = 'stopped';
  private readonly children: SupervisedChild[];
  /** Children that ended for good (temporary, or transient after a normal exit). */
  private readonly ended = new Set<SupervisedChild>();
  private restartTimes: number[] = [];
  /** Restarts a remediation ordered within the period (see handleChildExit). */
  private orderedTimes: number[] = [];
  private restartCount = 0;
  generation = 0;
  private chain: Promise<void> = Promise.resolve();
  private exitHandler: (info: ExitInfo) => void = () => undefined;

  constructor(private readonly init: SupervisorInit) {
    this.children = [...init.children];
    for (const child of this.children) {
      child.onExit((info) => {
        const generation = child.generation;
        this.chain = this.chain
          .then(() => {
            // Already restarted since (with a sibling, by one_for_all or rest_for_one): nothing left to do.
            if (child.generation !== generation) return;
            return this.handleChildExit(child, info);
          })
          // Handling an exit that fails (a child that cannot be stopped) is this supervisor's own
          // failure: reported to its parent, and the chain stays usable for the next exit.
          .catch((error: unknown) => this.exitHandler({ normal: false, reason: `handling the exit of '${child.id}' failed: ${error instanceof Error ? error.message : String(error)}`, ...(error instanceof Error ? { error } : {}) }));
      });
    }
  }

  get id(): string {
    return this.init.id;
  }

  get restartType(): RestartType {
    return this.init.restart;
  }

  onExit(handler: (info: ExitInfo) => void): void {
    this.exitHandler = handler;
  }

  /** Starts children in order; if one fails, those already started are stopped again. */
  async start(): Promise<void> {
    this.generation++;
    this.state = 'starting';
    this.ended.clear();
    // A (re)started supervisor has a fresh restart history, as a new OTP supervisor process would.
    this.restartTimes = [];
    const started: SupervisedChild[] = [];
    try {
      for (const child of this.children) {
        await child.start();
        this.init.log.childStarted(this.init.id, child.id);
        started.push(child);
      }
    } catch (error) {
      for (const child of started.reverse()) await child.stop();
      this.state = 'failed';
      throw error;
    }
    this.state = 'running';
  }

  /** Stops children in reverse start order, after any restart under way has finished. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    await this.chain;
    await this.stopChildren(this.children);
    this.state = 'stopped';
  }

  markExited(): void {
    this.state = 'failed';
  }

  /**
   * Restarts every active child (stopped in reverse order, started in order) on request: a
   * remediation, not a crash, so the restart intensity is not charged. Queued behind any restart
   * under way, like exits are.
   */
  restartChildren(): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.state !== 'running') return;
      const active = this.children.filter((member) => !this.ended.has(member));
      this.init.log.restarting(this.init.id, active.map((member) => member.id), 0);
      await this.stopChildren(active);
      await this.startAgain(active);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  countRestart(): void {
    this.restartCount++;
  }

  status(): SupervisorStatus {
    return {
      kind: 'supervisor',
      id: this.init.id,
      strategy: this.init.strategy,
      restarts: this.restartCount,
      children: this.children.map((child) => child.status()),
    };
  }

  private async handleChildExit(child: SupervisedChild, info: ExitInfo): Promise<void> {
    if (this.state !== 'running') return;
    this.init.log.childExited(this.init.id, child.id, info);
    if (child.restartType === 'temporary' || (child.restartType === 'transient' && info.normal)) {
      child.markExited(false);
      this.ended.add(child);
      return;
    }
    const now = this.init.clock.monotonicNow();
    this.restartTimes = this.restartTimes.filter((at) => now - at < this.init.periodMs);
    this.orderedTimes = this.orderedTimes.filter((at) => now - at < this.init.periodMs);
    // A restart a remediation ordered is not a crash: it does not wait out a backoff, a crash after
    // it backs off only as much as the crashes before it call for, and it spends a budget of its
    // own, ORDERED_BUDGET_FACTOR times the crashes': a loop whose cures do not last (a fault that
    // comes back after each restart) still ends in escalation, not in restarts without end.
    if (info.ordered) this.orderedTimes.push(now);
    else this.restartTimes.push(now);
    if (this.restartTimes.length > this.init.intensity || this.orderedTimes.length > this.init.intensity * ORDERED_BUDGET_FACTOR) {
      await this.giveUp(child, info);
      return;
    }
    child.markExited(true);
    const delay = info.ordered ? 0 : restartDelayMs(this.init.backoff, this.restartTimes.length, this.init.random);
    const group = this.restartGroup(child);
    this.init.log.restarting(this.init.id, group.map((member) => member.id), delay);
    // Siblings that restart with the crashed child stop first, in reverse start order.
    await this.stopChildren(group.filter((member) => member !== child));
    if (delay > 0) await new Promise((resolve) => this.init.clock.setTimeout(() => resolve(undefined), delay));
    if (this.state !== 'running') return;
    await this.startAgain(group);
  }

  /** Starts restarted children in order; one that cannot start counts as crashing again (intensity bounds the retries). */
  private async startAgain(group: SupervisedChild[]): Promise<void> {
    for (const member of group) {
      member.countRestart();
      try {
        await member.start();
        this.init.log.childStarted(this.init.id, member.id);
      } catch (error) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        await this.handleChildExit(member, { normal: false, reason: `restart failed: ${reason}`, ...(error instanceof Error ? { error } : {}) });
        return;
      }
    }
  }

  /** The children restarted together with `child`, in start order. */
  private restartGroup(child: SupervisedChild): SupervisedChild[] {
    const active = this.children.filter((member) => !this.ended.has(member));
    switch (this.init.strategy) {
      case 'one_for_one':
        return [child];
      case 'one_for_all':
        return active;
      case 'rest_for_one':
        return active.slice(active.indexOf(child));
    }
  }

  private async stopChildren(children: SupervisedChild[]): Promise<void> {
    for (const child of [...children].reverse()) {
      await child.stop();
      this.init.log.childStopped(this.init.id, child.id);
    }
  }

  private async giveUp(child: SupervisedChild, info: ExitInfo): Promise<void> {
    const restarts = info.ordered ? `${this.orderedTimes.length - 1} ordered restarts` : `${this.restartTimes.length - 1} restarts`;
    const error = new IntensityExceededError(this.init.id, restarts, this.init.periodMs, `${child.id}: ${info.reason}`);
    this.init.log.gaveUp(error);
    this.state = 'stopping';
    child.markExited(false);
    await this.stopChildren(this.children);
    this.state = 'failed';
    this.exitHandler({ normal: false, reason: error.message, error });
  }
}
