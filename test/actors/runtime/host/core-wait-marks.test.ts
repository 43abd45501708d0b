/** The liveness deadline's account of what a silent thread did: ran, or waited for a core. */
import { describe, expect, it } from 'vitest';
import { CoreWaitMarks, MAX_DISCOUNTED_MS } from '../../../../actors/runtime/host/core-wait-marks.js';

function thread() {
  const times = { runMs: 0, waitMs: 0 };
  const marks = new CoreWaitMarks(() => ({ ...times }));
  return { marks, times, wait: (ms: number) => (times.waitMs += ms), run: (ms: number) => (times.runMs += ms) };
}

describe('core wait marks', () => {
  it('counts what the thread did since the last mark at or before the silence began', () => {
    const { marks, times, wait, run } = thread();
    marks.mark(0, 0);
    wait(40);
    marks.mark(1_000, 0);
    wait(700);
    run(30);
    marks.mark(2_000, 1_200);
    wait(900);
    run(5);
    // Silent since 1,200: counted from the mark at 1,000.
    expect(marks.since(1_200, times)).toEqual({ runMs: 35, waitMs: 1_600 });
    // Silent since 2,000: from the mark at 2,000.
    expect(marks.since(2_000, times)).toEqual({ runMs: 5, waitMs: 900 });
  });

  it('counts from the first mark when none is as old as the silence: less discounted, never more', () => {
    const { marks, times, wait } = thread();
    wait(500);
    marks.mark(1_000, 900);
    wait(300);
    expect(marks.since(900, times)?.waitMs).toBe(300);
  });

  it('keeps only the marks a silence still needs', () => {
    const { marks, times, wait } = thread();
    for (let at = 0; at <= 5_000; at += 1_000) {
      wait(100);
      marks.mark(at, 4_500);
    }
    wait(100);
    // Only the mark at 4,000 (the last at or before the silence) and the one after are left: a
    // question about an older silence is answered from 4,000, the 100 before 5,000 and the 100 after.
    expect(marks.since(0, times)?.waitMs).toBe(200);
  });

  it('puts no more than MAX_DISCOUNTED_MS of a silence down to the machine, so a thread starved without end is still given up on', () => {
    const { marks, times, wait } = thread();
    for (let at = 0; at < 3 * MAX_DISCOUNTED_MS; at += 1_000) {
      marks.mark(at, 0);
      wait(1_000);
    }
    // The oldest mark kept is MAX_DISCOUNTED_MS before the last (at 179,000): 61 s of waiting since it.
    expect(marks.since(0, times)?.waitMs).toBe(MAX_DISCOUNTED_MS + 1_000);
  });

  it('knows nothing where the kernel does not say', () => {
    const marks = new CoreWaitMarks(() => undefined);
    marks.mark(0, 0);
    expect(marks.since(0, { runMs: 1, waitMs: 1 })).toBeUndefined();
  });
});
