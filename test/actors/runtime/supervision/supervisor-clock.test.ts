/**
 * The supervisor on a virtual clock, with children that only record what is done to them: the
 * intensity window and the backoff waits are the clock's, the jitter the Random's.
 */
import { describe, expect, it } from 'vitest';
import { ORDERED_BUDGET_FACTOR, Supervisor, type SupervisorLog } from '../../../../actors/runtime/supervision/supervisor.js';
import type { SupervisedChild } from '../../../../actors/runtime/supervision/supervised-child.js';
import type { ExitInfo } from '../../../../actors/runtime/contracts/host.js';
import type { IntensityExceededError } from '../../../../actors/runtime/errors.js';
import { VirtualClock } from '../../../../lib/timing/virtual-clock.js';
import { restartDelayMs } from '../../../../actors/runtime/supervision/backoff.js';

const BACKOFF = { minMs: 100, maxMs: 1_000, jitter: 0.5 };
const PERIOD_MS = 10_000;

class RecordingChild implements SupervisedChild {
  readonly restartType = 'permanent' as const;
  generation = 0;
  starts: number[] = [];
  private exit: (info: ExitInfo) => void = () => undefined;
  constructor(
    readonly id: string,
    private readonly clock: VirtualClock,
  ) {}
  async start(): Promise<void> {
    this.generation++;
    this.starts.push(this.clock.monotonicNow());
  }
  async stop(): Promise<void> {}
  onExit(handler: (info: ExitInfo) => void): void {
    this.exit = handler;
  }
  markExited(): void {}
  countRestart(): void {}
  status() {
    return { kind: 'supervisor' as const, id: this.id, strategy: 'one_for_one' as const, restarts: 0, children: [] };
  }
  crash(): void {
    this.exit({ normal: false, reason: 'crashed on purpose' });
  }
  /** Ended by a remediation's restart (ActorCell.kill). */
  killedByRemediation(): void {
    this.exit({ normal: false, reason: 'killed by remediation', ordered: true });
  }
}

function supervised(random: () => number) {
  const clock = new VirtualClock();
  const child = new RecordingChild('c', clock);
  const gaveUp: IntensityExceededError[] = [];
  const log: SupervisorLog = {
    childExited: () => undefined,
    restarting: () => undefined,
    childStarted: () => undefined,
    childStopped: () => undefined,
    gaveUp: (error) => gaveUp.push(error),
  };
  const supervisor = new Supervisor({ id: 's', strategy: 'one_for_one', intensity: 2, periodMs: PERIOD_MS, restart: 'permanent', backoff: BACKOFF, children: [child], log, clock, random });
  return { clock, child, supervisor, gaveUp };
}

describe('the supervisor on a virtual clock', () => {
  it('waits the backoff on the clock, with the jitter the Random gives', async () => {
    const draws = [0.9, 0.1];
    const { clock, child, supervisor } = supervised(() => draws.shift()!);
    await supervisor.start();
    child.crash();
    await clock.advanceAsync(0);
    expect(child.starts).toEqual([0, 0]);
    child.crash();
    const delay = restartDelayMs(BACKOFF, 2, () => 0.9);
    await clock.advanceAsync(delay - 1);
    expect(child.starts).toEqual([0, 0]);
    await clock.advanceAsync(1);
    expect(child.starts).toEqual([0, 0, delay]);
    await supervisor.stop();
  });

  it('counts restarts within the period only: crashes further apart than periodMs never exceed the intensity', async () => {
    const { clock, child, supervisor, gaveUp } = supervised(() => 0.5);
    await supervisor.start();
    for (let crash = 0; crash < 6; crash++) {
      child.crash();
      await clock.advanceAsync(PERIOD_MS);
    }
    expect(gaveUp).toEqual([]);
    expect(child.starts).toHaveLength(7);
    for (let crash = 0; crash < 3; crash++) {
      child.crash();
      await clock.advanceAsync(BACKOFF.maxMs * 2);
    }
    expect(gaveUp).toHaveLength(1);
    await supervisor.stop();
  });

  it('restarts a child a remediation ended at once, without spending the intensity budget or lengthening later backoffs', async () => {
    const { clock, child, supervisor, gaveUp } = supervised(() => 0.5);
    await supervisor.start();
    // Five ordered restarts within the period: each at once, none counted as a crash (intensity 2).
    for (let kill = 0; kill < 5; kill++) {
      child.killedByRemediation();
      await clock.advanceAsync(0);
    }
    expect(child.starts).toEqual([0, 0, 0, 0, 0, 0]);
    expect(gaveUp).toEqual([]);
    // The first crash after them restarts at once, as a first crash does; the second backs off as a second.
    child.crash();
    await clock.advanceAsync(0);
    expect(child.starts).toHaveLength(7);
    child.crash();
    await clock.advanceAsync(restartDelayMs(BACKOFF, 2, () => 0.5));
    expect(child.starts).toHaveLength(8);
    // The third crash exceeds intensity 2: crashes are still counted.
    child.crash();
    await clock.advanceAsync(BACKOFF.maxMs * 2);
    expect(gaveUp).toHaveLength(1);
    await supervisor.stop();
  });

  it('gives up once ordered restarts exceed their own budget within the period: a cure that never lasts ends in escalation', async () => {
    const { clock, child, supervisor, gaveUp } = supervised(() => 0.5);
    await supervisor.start();
    // Intensity 2: six ordered restarts are within the budget, the seventh is not.
    for (let kill = 0; kill < 2 * ORDERED_BUDGET_FACTOR; kill++) {
      child.killedByRemediation();
      await clock.advanceAsync(0);
    }
    expect(gaveUp).toEqual([]);
    child.killedByRemediation();
    await clock.advanceAsync(0);
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]!.message).toContain(`${2 * ORDERED_BUDGET_FACTOR} ordered restarts within ${PERIOD_MS} ms`);
    await supervisor.stop();
  });
});
