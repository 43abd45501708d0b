import { describe, expect, it } from 'vitest';
import { SimScheduler, TIME_GRID_MS, onGrid } from '../../../lib/sim/sim-scheduler.js';
import { seededRandom } from '../../../lib/timing/seeded-random.js';
import { VIRTUAL_EPOCH_MS } from '../../../lib/timing/virtual-clock.js';

/** How far `ms` is from the nearest grid point, in grid steps. */
const offGrid = (ms: number) => Math.abs(ms / TIME_GRID_MS - Math.round(ms / TIME_GRID_MS));

describe('onGrid', () => {
  it('keeps a time already on the grid where it is', () => {
    expect([0, 1, 5, 10, 1_000].map(onGrid)).toEqual([0, 1, 5, 10, 1_000]);
    expect(onGrid(0.5)).toBeCloseTo(0.5, 12);
    expect(onGrid(2.5)).toBeCloseTo(2.5, 12);
  });

  it('rounds a time between grid points up to the next one, never earlier', () => {
    expect(onGrid(1.01)).toBeCloseTo(1.1, 12);
    expect(onGrid(1.23)).toBeCloseTo(1.3, 12);
    expect(onGrid(0.001)).toBeCloseTo(0.1, 12);
    for (const ms of [0.01, 0.11, 1.23, 2.05, 3.14159, 17.999, 250.04]) {
      const grid = onGrid(ms);
      expect(grid).toBeGreaterThanOrEqual(ms);
      expect(grid - ms).toBeLessThan(TIME_GRID_MS + 1e-9);
      expect(offGrid(grid)).toBeLessThan(1e-6);
    }
  });

  it('does not push a sum carrying float error (0.1 + 0.2) a whole step later', () => {
    expect(onGrid(0.1 + 0.2)).toBeCloseTo(0.3, 12);
  });

  it('is idempotent', () => {
    for (const ms of [0.3, 1.23, 7.7, 99.95]) expect(onGrid(onGrid(ms))).toBe(onGrid(ms));
  });
});

describe('SimScheduler', () => {
  it('starts at simulated time 0 with nothing run, at the virtual epoch unless told otherwise', () => {
    const scheduler = new SimScheduler();
    expect([scheduler.now, scheduler.eventsRun, scheduler.pending]).toEqual([0, 0, 0]);
    expect(scheduler.epochMs).toBe(VIRTUAL_EPOCH_MS);
    expect(new SimScheduler(1_234).epochMs).toBe(1_234);
  });

  it('runs events in time order, ties in the order they were scheduled, each seeing its own time', async () => {
    const scheduler = new SimScheduler();
    const log: string[] = [];
    const note = (name: string) => () => log.push(`${name}@${scheduler.now}`);
    scheduler.schedule(30, note('c'));
    scheduler.schedule(10, note('a'));
    scheduler.schedule(20, note('b1'));
    scheduler.schedule(20, note('b2'));
    scheduler.schedule(10, note('a2'));
    await scheduler.runUntil(50);
    expect(log).toEqual(['a@10', 'a2@10', 'b1@20', 'b2@20', 'c@30']);
  });

  it('keeps the order of many events scheduled at random (time first, then scheduling order)', async () => {
    const scheduler = new SimScheduler();
    const random = seededRandom(11);
    const scheduled: Array<{ at: number; seq: number }> = [];
    const ran: number[] = [];
    for (let seq = 0; seq < 300; seq++) {
      // Whole ms from a small range, so that many events share an instant.
      const event = scheduler.schedule(Math.floor(random() * 40), () => ran.push(seq));
      scheduled.push({ at: event.at, seq });
    }
    await scheduler.runUntil(100);
    const expected = [...scheduled].sort((x, y) => x.at - y.at || x.seq - y.seq).map((event) => event.seq);
    expect(ran).toEqual(expected);
  });

  it('never runs a cancelled event, nor counts it', async () => {
    const scheduler = new SimScheduler();
    const log: string[] = [];
    const kept = scheduler.schedule(5, () => log.push('kept'));
    const cancelled = scheduler.schedule(5, () => log.push('cancelled'));
    scheduler.cancel(cancelled);
    scheduler.cancel(undefined);
    await scheduler.runUntil(10);
    expect(log).toEqual(['kept']);
    expect(scheduler.eventsRun).toBe(1);
    expect(scheduler.pending).toBe(0);
    scheduler.cancel(kept); // already run: harmless
    await scheduler.runUntil(20);
    expect(log).toEqual(['kept']);
  });

  it('lets an event cancel a later event of the same instant', async () => {
    const scheduler = new SimScheduler();
    const log: string[] = [];
    let second: ReturnType<SimScheduler['schedule']> | undefined;
    scheduler.schedule(1, () => {
      log.push('first');
      scheduler.cancel(second);
    });
    second = scheduler.schedule(1, () => log.push('second'));
    await scheduler.runUntil(1);
    expect(log).toEqual(['first']);
    expect(scheduler.eventsRun).toBe(1);
  });

  it('runs a negative, NaN or infinite delay at this instant', async () => {
    const scheduler = new SimScheduler();
    await scheduler.runUntil(7);
    const log: number[] = [];
    const events = [-5, Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 0].map((delay) =>
      scheduler.schedule(delay, () => log.push(scheduler.now)),
    );
    expect(events.map((event) => event.at)).toEqual([7, 7, 7, 7, 7]);
    await scheduler.runUntil(7);
    expect(log).toEqual([7, 7, 7, 7, 7]);
  });

  it('puts each event on the 0.1 ms grid, never earlier than asked', async () => {
    const scheduler = new SimScheduler();
    const delays = [0.01, 0.25, 1.23, 2.05, 4.999, 12.345];
    const runAt: number[] = [];
    const events = delays.map((delay) => scheduler.schedule(delay, () => runAt.push(scheduler.now)));
    events.forEach((event, index) => {
      expect(event.at).toBeGreaterThanOrEqual(delays[index]!);
      expect(event.at - delays[index]!).toBeLessThan(TIME_GRID_MS + 1e-9);
      expect(offGrid(event.at)).toBeLessThan(1e-6);
    });
    await scheduler.runUntil(20);
    expect(runAt).toEqual(events.map((event) => event.at));
  });

  it('keeps times on the grid as delays accumulate from an instant', async () => {
    const scheduler = new SimScheduler();
    const times: number[] = [];
    const step = () => {
      times.push(scheduler.now);
      if (times.length < 50) scheduler.schedule(0.37, step);
    };
    scheduler.schedule(0, step);
    await scheduler.runUntil(100);
    expect(times).toHaveLength(50);
    times.forEach((time, index) => {
      expect(offGrid(time)).toBeLessThan(1e-6);
      if (index > 0) expect(time - times[index - 1]!).toBeCloseTo(0.4, 9);
    });
  });

  it('runs an event scheduled at delay 0 by an event in the same instant, after those already due', async () => {
    const scheduler = new SimScheduler();
    const log: string[] = [];
    scheduler.schedule(3, () => {
      log.push(`a@${scheduler.now}`);
      scheduler.schedule(0, () => log.push(`nested@${scheduler.now}`));
    });
    scheduler.schedule(3, () => log.push(`b@${scheduler.now}`));
    scheduler.schedule(4, () => log.push(`later@${scheduler.now}`));
    await scheduler.runUntil(5);
    expect(log).toEqual(['a@3', 'b@3', 'nested@3', 'later@4']);
  });

  it('leaves `now` at untilMs, with later events still pending', async () => {
    const scheduler = new SimScheduler();
    const log: number[] = [];
    scheduler.schedule(2, () => log.push(2));
    scheduler.schedule(12, () => log.push(12));
    await scheduler.runUntil(10);
    expect(scheduler.now).toBe(10);
    expect(log).toEqual([2]);
    expect(scheduler.pending).toBe(1);
    await scheduler.runUntil(12);
    expect(log).toEqual([2, 12]);
    expect(scheduler.now).toBe(12);
    await scheduler.runUntil(40);
    expect(scheduler.now).toBe(40);
  });

  it('moves the clock to untilMs with nothing scheduled, and schedules from there', async () => {
    const scheduler = new SimScheduler();
    await scheduler.runUntil(25);
    expect(scheduler.now).toBe(25);
    const event = scheduler.schedule(5, () => {});
    expect(event.at).toBe(30);
  });

  it('runs an event due exactly at untilMs', async () => {
    const scheduler = new SimScheduler();
    let ran = false;
    scheduler.schedule(10, () => (ran = true));
    await scheduler.runUntil(10);
    expect(ran).toBe(true);
  });

  // Grid times are k / 10, the double nearest k tenths (k * 0.1 is not, for 7 among others).
  it('runs an event due exactly at a fractional untilMs', async () => {
    const scheduler = new SimScheduler();
    let ran = false;
    scheduler.schedule(0.7, () => (ran = true));
    await scheduler.runUntil(0.7);
    expect(ran).toBe(true);
  });

  it('accepts running to the present and refuses to run back in time', async () => {
    const scheduler = new SimScheduler();
    await scheduler.runUntil(10);
    await expect(scheduler.runUntil(10)).resolves.toBeUndefined();
    await expect(scheduler.runUntil(9)).rejects.toThrow(RangeError);
    await expect(scheduler.runUntil(Number.NaN)).rejects.toThrow(RangeError);
    expect(scheduler.now).toBe(10);
  });

  it('runs the promise continuations an event starts before the next instant', async () => {
    const scheduler = new SimScheduler();
    const log: string[] = [];
    scheduler.schedule(0, () => {
      log.push('event 0');
      void Promise.resolve().then(() => log.push('continuation'));
      void (async () => {
        await Promise.resolve();
        await Promise.resolve();
        await Promise.resolve();
        log.push('deep continuation');
      })();
    });
    scheduler.schedule(1, () => log.push('event 1'));
    await scheduler.runUntil(1);
    expect(log).toEqual(['event 0', 'continuation', 'deep continuation', 'event 1']);
  });

  it('runs what a continuation schedules at delay 0 at that same instant, before the next one', async () => {
    const scheduler = new SimScheduler();
    const log: string[] = [];
    scheduler.schedule(0, () => {
      void Promise.resolve().then(() => scheduler.schedule(0, () => log.push(`from continuation@${scheduler.now}`)));
    });
    scheduler.schedule(1, () => log.push(`event@${scheduler.now}`));
    await scheduler.runUntil(1);
    expect(log).toEqual(['from continuation@0', 'event@1']);
  });

  it('calls afterInstant once each instant has settled, with that instant', async () => {
    const scheduler = new SimScheduler();
    const log: string[] = [];
    scheduler.schedule(1, () => {
      log.push('event 1');
      void Promise.resolve().then(() => log.push('continuation 1'));
    });
    scheduler.schedule(1, () => log.push('event 1b'));
    scheduler.schedule(4, () => log.push('event 4'));
    await scheduler.runUntil(10, (now) => {
      log.push(`settled ${now}`);
    });
    expect(log).toEqual(['event 1', 'event 1b', 'continuation 1', 'settled 1', 'event 4', 'settled 4']);
    expect(scheduler.now).toBe(10);
  });

  it('stops at the instant where afterInstant returns true, leaving the rest for the next run', async () => {
    const scheduler = new SimScheduler();
    const log: number[] = [];
    for (const at of [1, 2, 3, 4]) scheduler.schedule(at, () => log.push(at));
    await scheduler.runUntil(10, (now) => now === 2);
    expect(log).toEqual([1, 2]);
    expect(scheduler.now).toBe(2);
    expect(scheduler.pending).toBe(2);
    await scheduler.runUntil(10);
    expect(log).toEqual([1, 2, 3, 4]);
    expect(scheduler.now).toBe(10);
  });

  it('counts the events run and those pending', async () => {
    const scheduler = new SimScheduler();
    for (let index = 0; index < 5; index++) scheduler.schedule(index, () => {});
    scheduler.schedule(100, () => {});
    expect(scheduler.pending).toBe(6);
    await scheduler.runUntil(4);
    expect(scheduler.eventsRun).toBe(5);
    expect(scheduler.pending).toBe(1);
    await scheduler.runUntil(100);
    expect(scheduler.eventsRun).toBe(6);
    expect(scheduler.pending).toBe(0);
  });

  it('gives the same execution for the same inputs', async () => {
    const trace = async () => {
      const scheduler = new SimScheduler();
      const random = seededRandom(3);
      const log: string[] = [];
      const spawn = (name: string, depth: number) => () => {
        log.push(`${name}@${scheduler.now}`);
        void Promise.resolve().then(() => log.push(`${name} continued`));
        if (depth < 4) for (const child of ['x', 'y']) scheduler.schedule(random() * 5, spawn(`${name}${child}`, depth + 1));
      };
      scheduler.schedule(0, spawn('r', 0));
      await scheduler.runUntil(100);
      return log;
    };
    const first = await trace();
    expect(first.length).toBeGreaterThan(30);
    expect(await trace()).toEqual(first);
  });
});
