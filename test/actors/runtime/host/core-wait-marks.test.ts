/** The liveness deadline's account of a silent thread's waits for a core. */
import { describe, expect, it } from 'vitest';
import { CoreWaitMarks } from '../../../../actors/runtime/host/core-wait-marks.js';

function thread() {
  let waited = 0;
  const marks = new CoreWaitMarks(() => waited);
  return { marks, wait: (ms: number) => (waited += ms) };
}

describe('core wait marks', () => {
  it('counts the waits since the last mark at or before the silence began', () => {
    const { marks, wait } = thread();
    marks.mark(0, 0);
    wait(40);
    marks.mark(1_000, 0);
    wait(700);
    marks.mark(2_000, 1_200);
    wait(900);
    // Silent since 1,200: counted from the mark at 1,000, so the 700 waited since it, then the 900.
    expect(marks.waitedSince(1_200)).toBe(1_600);
    // Silent since 2,000: from the mark at 2,000.
    expect(marks.waitedSince(2_000)).toBe(900);
  });

  it('counts from the first mark when none is as old as the silence: less discounted, never more', () => {
    const { marks, wait } = thread();
    wait(500);
    marks.mark(1_000, 900);
    wait(300);
    expect(marks.waitedSince(900)).toBe(300);
  });

  it('keeps only the marks a silence still needs', () => {
    const { marks, wait } = thread();
    for (let at = 0; at <= 5_000; at += 1_000) {
      wait(100);
      marks.mark(at, 4_500);
    }
    wait(100);
    // Only the mark at 4,000 (the last at or before the silence) and the one after are left: a
    // question about an older silence is answered from 4,000, the 100 before 5,000 and the 100 after.
    expect(marks.waitedSince(0)).toBe(200);
  });

  it('stops discounting a silence that outlasts its marks, so a thread starved without end is still given up on', () => {
    const { marks, wait } = thread();
    for (let at = 0; at < 100_000; at += 1_000) {
      marks.mark(at, 0);
      wait(1_000);
    }
    expect(marks.waitedSince(0)).toBe(64_000);
  });

  it('discounts nothing where the kernel does not say', () => {
    const marks = new CoreWaitMarks(() => undefined);
    marks.mark(0, 0);
    expect(marks.waitedSince(0)).toBe(0);
  });
});
