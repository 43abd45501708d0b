/**
 * After an action, an actor's readings are published once its thread has settled: not while it is
 * still starting (busy, never idle), and as two probes a reading gap apart, the first taken as the
 * second's baseline. The thread is a fake whose readings the test moves look by look, on faked OS time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { READING_GAP_MS, SETTLE_GIVE_UP_MS, SETTLE_LOOK_EVERY_MS, SettledVerification } from '../../../../actors/runtime/self-healing/settled-verification.js';
import type { ActorCell } from '../../../../actors/runtime/supervision/actor-cell.js';
import type { ActorIncarnation } from '../../../../actors/runtime/contracts/host.js';
import type { TelemetryPoint, TelemetrySample } from '../../../../lib/mape/telemetry.js';
import { realClock } from '../../../../lib/timing/clock.js';

afterEach(() => {
  vi.useRealTimers();
});

let stopLast: (() => void) | undefined;
afterEach(() => {
  stopLast?.();
  stopLast = undefined;
});

interface FakeThread {
  idleMs: number;
  runMs: number;
  waitMs: number;
}

function incarnationOf(thread: FakeThread | undefined): ActorIncarnation {
  return {
    loopIdleMs: () => thread?.idleMs,
    processedCount: () => (thread ? 0 : undefined),
    schedStat: () => (thread ? { runMs: thread.runMs, waitMs: thread.waitMs, runnable: false, yields: 0 } : undefined),
  } as unknown as ActorIncarnation;
}

function verificationOver(inline = false) {
  const thread: FakeThread = { idleMs: 0, runMs: 0, waitMs: 0 };
  const cell = { id: 'acted-on', state: 'running', current: incarnationOf(inline ? undefined : thread) } as { id: string; state: string; current: ActorIncarnation };
  const probes: { incarnation: ActorIncarnation; settledBaseline: boolean }[] = [];
  /** What the next probes answer: by default an answered reading; a test may hold a probe open or leave it unanswered. */
  const answers: (() => Promise<TelemetryPoint[]>)[] = [];
  const published: TelemetrySample[] = [];
  const verification = new SettledVerification({
    clock: realClock,
    cells: () => [cell as unknown as ActorCell],
    probe: async (_cell, incarnation, settledBaseline) => {
      probes.push({ incarnation, settledBaseline });
      const answer = answers.shift();
      if (answer) return answer();
      return [{ metric: 'actor.unresponsive', source: 'acted-on', value: 0 }] satisfies TelemetryPoint[];
    },
    cellPoints: () => [{ metric: 'actor.mailbox_depth', source: 'acted-on', value: 3 }],
    publish: (sample) => published.push(sample),
    failed: (error) => {
      throw error;
    },
  });
  // Its own timer makes the looks, on faked time.
  vi.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'] });
  verification.start();
  stopLast = () => verification.stop();
  /** `looks` looks SETTLE_LOOK_EVERY_MS apart, the thread idling `idle`, running `ran` and waiting for a core `waited` ms before each. */
  const run = async (looks: number, idle: number, ran: number, waited = 0) => {
    for (let i = 0; i < looks; i++) {
      thread.idleMs += idle;
      thread.runMs += ran;
      thread.waitMs += waited;
      // Advanced asynchronously: a probe started at one look answers before the next.
      await vi.advanceTimersByTimeAsync(SETTLE_LOOK_EVERY_MS);
    }
  };
  return { verification, thread, cell, probes, answers, published, run };
}

describe('settled verification', () => {
  it("waits while the restarted thread is starting, then publishes its second reading, with the actor's own readings", async () => {
    const { verification, probes, published, run, cell } = verificationOver();
    verification.verifySoon('acted-on');
    // Starting: busy on its core, never idle.
    await run(10, 0, 45);
    expect(probes).toEqual([]);
    // Settled: idle, nearly off its core.
    await run(4, 48, 2);
    expect(probes).toEqual([{ incarnation: cell.current, settledBaseline: true }]);
    await run(READING_GAP_MS / SETTLE_LOOK_EVERY_MS, 48, 2);
    expect(probes).toHaveLength(2);
    expect(probes[1]!.settledBaseline).toBe(false);
    expect(published).toEqual([
      {
        at: expect.any(Number),
        intervalMs: 0,
        points: [
          { metric: 'actor.unresponsive', source: 'acted-on', value: 0 },
          { metric: 'actor.mailbox_depth', source: 'acted-on', value: 3 },
        ],
      },
    ]);
    // Told once.
    await run(20, 48, 2);
    expect(published).toHaveLength(1);
  });

  it('publishes nothing for a thread that keeps spinning, and gives up after the verification time', async () => {
    const { verification, thread, probes, published, run } = verificationOver();
    verification.verifySoon('acted-on');
    await run(SETTLE_GIVE_UP_MS / SETTLE_LOOK_EVERY_MS + 1, 5, 45);
    expect(probes).toEqual([]);
    // Settling after it gave up changes nothing: the samples verify from here.
    await run(20, 48, 2);
    expect(published).toEqual([]);
  });

  it('starts over when the actor is restarted again while settling, and reads only the new thread', async () => {
    const { verification, probes, run, cell } = verificationOver();
    verification.verifySoon('acted-on');
    await run(1, 48, 2);
    const replacement = { idleMs: 0, runMs: 0, waitMs: 0 };
    cell.current = incarnationOf(replacement);
    await run(4, 48, 2);
    // The look that found the new incarnation only anchored it; the replacement has not moved.
    expect(probes).toEqual([]);
    for (let i = 0; i < 4; i++) {
      replacement.idleMs += 48;
      replacement.runMs += 2;
      await run(1, 0, 0);
    }
    expect(probes).toEqual([{ incarnation: cell.current, settledBaseline: true }]);
  });

  it('probes an actor without a thread of its own at once', async () => {
    const { verification, probes, run } = verificationOver(true);
    verification.verifySoon('acted-on');
    await run(1, 0, 0);
    expect(probes).toHaveLength(1);
  });

  it('does not call a runaway loop settled that a loaded machine gives little of a core: it wants one all the time', async () => {
    const { verification, probes, run } = verificationOver();
    verification.verifySoon('acted-on');
    await run(40, 5, 5, 40);
    expect(probes).toEqual([]);
  });

  it('settles afresh when the first probe goes unanswered (no baseline was taken)', async () => {
    const { verification, probes, answers, published, run } = verificationOver();
    answers.push(async () => [{ metric: 'actor.probe_ms', source: 'acted-on', value: 250 }]);
    verification.verifySoon('acted-on');
    await run(4, 48, 2);
    expect(probes).toHaveLength(1);
    // No second reading on a missing baseline: settled again, then the two readings.
    await run(READING_GAP_MS / SETTLE_LOOK_EVERY_MS, 48, 2);
    expect(probes.map((probe) => probe.settledBaseline)).toEqual([true, true]);
    await run(READING_GAP_MS / SETTLE_LOOK_EVERY_MS + 1, 48, 2);
    expect(probes.map((probe) => probe.settledBaseline)).toEqual([true, true, false]);
    expect(published).toHaveLength(1);
  });

  it("lets a newer action's verification stand when an older one's probe answers after it was asked for", async () => {
    const { verification, probes, answers, published, run } = verificationOver();
    verification.verifySoon('acted-on');
    await run(4, 48, 2);
    expect(probes).toHaveLength(1);
    // The older verification's second probe is held open while a newer action asks again.
    let answer: (points: TelemetryPoint[]) => void = () => undefined;
    answers.push(() => new Promise((resolve) => (answer = resolve)));
    await run(READING_GAP_MS / SETTLE_LOOK_EVERY_MS, 48, 2);
    expect(probes).toHaveLength(2);
    verification.verifySoon('acted-on');
    answer([{ metric: 'actor.unresponsive', source: 'acted-on', value: 0 }]);
    await run(1, 48, 2);
    // The old probe published nothing; the newer verification settles and reads on its own.
    expect(published).toEqual([]);
    await run(4 + READING_GAP_MS / SETTLE_LOOK_EVERY_MS + 1, 48, 2);
    expect(published).toHaveLength(1);
    expect(probes.slice(2).map((probe) => probe.settledBaseline)).toEqual([true, false]);
  });
});
