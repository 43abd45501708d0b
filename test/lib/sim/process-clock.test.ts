import { describe, expect, it } from 'vitest';
import { ProcessClock } from '../../../lib/sim/process-clock.js';
import { SimScheduler } from '../../../lib/sim/sim-scheduler.js';

const EPOCH_MS = 1_700_000_000_000;

function setup() {
  const scheduler = new SimScheduler(EPOCH_MS);
  const clock = new ProcessClock(scheduler);
  const log: string[] = [];
  /** Logs `name` with the simulated time it ran at. */
  const note = (name: string) => () => log.push(`${name}@${clock.monotonicNow()}`);
  return { scheduler, clock, log, note };
}

describe('ProcessClock', () => {
  it('reads the simulation time: whole epoch ms for now(), simulated ms for monotonicNow()', async () => {
    const { scheduler, clock } = setup();
    expect([clock.now(), clock.monotonicNow()]).toEqual([EPOCH_MS, 0]);
    const seen: number[][] = [];
    scheduler.schedule(2.5, () => seen.push([clock.now(), clock.monotonicNow()]));
    scheduler.schedule(2.9, () => seen.push([clock.now(), clock.monotonicNow()]));
    await scheduler.runUntil(1_000.5);
    expect(seen[0]).toEqual([EPOCH_MS + 2, 2.5]);
    expect(seen[1]![0]).toBe(EPOCH_MS + 2);
    expect(seen[1]![1]).toBeCloseTo(2.9, 9);
    expect(Number.isInteger(clock.now())).toBe(true);
    expect([clock.now(), clock.monotonicNow()]).toEqual([EPOCH_MS + 1_000, 1_000.5]);
  });

  it('fires its timers on the scheduler, in time order, at their due time', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.setTimeout(note('c'), 30);
    clock.setTimeout(note('a'), 10);
    clock.setTimeout(note('b'), 20);
    expect(scheduler.pending).toBe(3);
    await scheduler.runUntil(25);
    expect(log).toEqual(['a@10', 'b@20']);
    await scheduler.runUntil(100);
    expect(log).toEqual(['a@10', 'b@20', 'c@30']);
  });

  it('fires a timer set by a timer callback', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.setTimeout(() => {
      note('outer')();
      clock.setTimeout(note('inner'), 5);
    }, 10);
    await scheduler.runUntil(100);
    expect(log).toEqual(['outer@10', 'inner@15']);
  });

  it('never fires a cleared timer', async () => {
    const { scheduler, clock, log, note } = setup();
    const cleared = clock.setTimeout(note('cleared'), 10);
    clock.setTimeout(note('kept'), 10);
    clock.clearTimeout(cleared);
    await scheduler.runUntil(100);
    expect(log).toEqual(['kept@10']);
  });

  it('lets a timer callback clear a timer due at the same instant', async () => {
    const { scheduler, clock, log, note } = setup();
    let second: unknown;
    clock.setTimeout(() => {
      note('first')();
      clock.clearTimeout(second);
    }, 10);
    second = clock.setTimeout(note('second'), 10);
    await scheduler.runUntil(100);
    expect(log).toEqual(['first@10']);
  });

  it('ignores clearing undefined, a foreign handle or a timer that already fired', async () => {
    const { scheduler, clock, log, note } = setup();
    const fired = clock.setTimeout(note('fired'), 1);
    await scheduler.runUntil(5);
    expect(() => {
      clock.clearTimeout(undefined);
      clock.clearTimeout(42);
      clock.clearTimeout('handle');
      clock.clearTimeout(fired);
    }).not.toThrow();
    expect(log).toEqual(['fired@1']);
  });

  it('runs delivered work at once while it runs', () => {
    const { clock, log, note } = setup();
    clock.deliver(note('bytes'));
    expect(log).toEqual(['bytes@0']);
    expect([clock.frozen, clock.alive]).toEqual([false, true]);
  });

  it('holds its timers and delivered work while frozen, and runs none of it before resume', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.setTimeout(note('timer'), 5);
    clock.freeze();
    expect(clock.frozen).toBe(true);
    clock.deliver(note('bytes'));
    await scheduler.runUntil(1_000);
    expect(log).toEqual([]);
    expect(clock.frozen).toBe(true);
  });

  it('runs what fell due while frozen after resume, late and in the order it fell due', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.setTimeout(note('timer 10'), 10);
    clock.setTimeout(note('timer 30'), 30);
    scheduler.schedule(1, () => clock.freeze());
    scheduler.schedule(20, () => clock.deliver(note('bytes 20')));
    scheduler.schedule(40, () => clock.deliver(note('bytes 40')));
    scheduler.schedule(50, () => {
      log.push('resume');
      clock.resume();
      expect(clock.frozen).toBe(false);
      expect(log).toEqual(['resume']); // nothing held runs inside resume() itself
    });
    scheduler.schedule(60, note('after'));
    await scheduler.runUntil(100);
    expect(log).toEqual(['resume', 'timer 10@50', 'bytes 20@50', 'timer 30@50', 'bytes 40@50', 'after@60']);
  });

  it('runs held work on the scheduler after a resume from outside a run, not inside resume()', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.freeze();
    clock.deliver(note('first'));
    clock.deliver(note('second'));
    await scheduler.runUntil(10);
    clock.resume();
    expect(log).toEqual([]);
    await scheduler.runUntil(10);
    expect(log).toEqual(['first@10', 'second@10']);
  });

  it('runs new work normally once resumed', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.freeze();
    clock.resume();
    clock.deliver(note('bytes'));
    clock.setTimeout(note('timer'), 3);
    await scheduler.runUntil(10);
    expect(log).toEqual(['bytes@0', 'timer@3']);
  });

  it('holds again what was due at resume if frozen before it ran', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.freeze();
    clock.deliver(note('first'));
    clock.deliver(note('second'));
    clock.resume();
    clock.freeze();
    await scheduler.runUntil(10);
    expect(log).toEqual([]);
    clock.resume();
    await scheduler.runUntil(20);
    expect(log).toEqual(['first@10', 'second@10']);
  });

  it('treats a second freeze as one and a resume while running as nothing', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.resume();
    expect(clock.frozen).toBe(false);
    clock.freeze();
    clock.freeze();
    clock.deliver(note('bytes'));
    clock.resume();
    expect(clock.frozen).toBe(false);
    await scheduler.runUntil(1);
    expect(log).toEqual(['bytes@0']);
  });

  it('never runs anything it scheduled once ended', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.setTimeout(note('timer'), 10);
    scheduler.schedule(5, () => clock.end());
    await scheduler.runUntil(100);
    expect(log).toEqual([]);
    expect(clock.alive).toBe(false);
  });

  it('drops what it held when ended while frozen, even if resumed', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.setTimeout(note('timer'), 5);
    clock.freeze();
    clock.deliver(note('bytes'));
    await scheduler.runUntil(10);
    clock.end();
    expect(clock.frozen).toBe(false);
    clock.resume();
    await scheduler.runUntil(100);
    expect(log).toEqual([]);
  });

  it('drops held work that resume had queued but that had not run when it ended', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.freeze();
    clock.deliver(note('bytes'));
    clock.resume();
    clock.end();
    await scheduler.runUntil(10);
    expect(log).toEqual([]);
  });

  it('takes no timer, delivery or freeze once ended', async () => {
    const { scheduler, clock, log, note } = setup();
    clock.end();
    const pendingBefore = scheduler.pending;
    const handle = clock.setTimeout(note('timer'), 1);
    expect(scheduler.pending).toBe(pendingBefore);
    clock.deliver(note('bytes'));
    clock.freeze();
    expect([clock.frozen, clock.alive]).toEqual([false, false]);
    expect(() => clock.clearTimeout(handle)).not.toThrow();
    await scheduler.runUntil(10);
    expect(log).toEqual([]);
  });

  // Work held before the timer (the reply that cancels a request's timeout) runs first on resume.
  it('does not fire a timer cleared by earlier held work after resume', async () => {
    const { scheduler, clock, log, note } = setup();
    let timeout: unknown;
    scheduler.schedule(0, () => {
      timeout = clock.setTimeout(note('request timeout'), 10);
      clock.freeze();
    });
    scheduler.schedule(5, () =>
      clock.deliver(() => {
        note('reply')();
        clock.clearTimeout(timeout);
      }),
    );
    scheduler.schedule(20, () => clock.resume());
    await scheduler.runUntil(100);
    expect(log).toEqual(['reply@20']);
  });
});
