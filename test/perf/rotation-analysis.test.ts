/**
 * The rotation bench's reading of its records: which delivery is a rotation's first on the new
 * session (the first message published after the dialer bound the new connection, not one merely
 * delivered after it), what the stream check counts as lost, repeated or reordered, which
 * deliveries make the steady baseline, and the records it refuses to read.
 */
import { describe, expect, it } from 'vitest';
import { analyzeRotations, checkStream, RotationRecordError, type Receipt, type RotationRecord } from '../../perf/fixtures/rotation-analysis.js';

/** Message n published at `sentAt` (whole and sub-ms clocks agreeing) and delivered at `receivedAt`. */
function receipt(n: number, sentAt: number, receivedAt: number): Receipt {
  return [n, Math.floor(sentAt), sentAt, receivedAt];
}

/** A message every 2 ms from t = 0, each delivered 5 ms later. */
function steady(from: number, count: number, start = 0): Receipt[] {
  return Array.from({ length: count }, (_, index) => receipt(from + index, start + index * 2, start + index * 2 + 5));
}

const dialerRotation: RotationRecord = { side: 'dialer', pushedAt: 100.5, rotatingStartedAtMs: 110, dialerStartedAtMs: 110, dialerBoundAtMs: 140 };

describe('rotation analysis', () => {
  it('times a rotation to the first delivery of a message published after the dialer bound the new connection', () => {
    // Message 71 is published at 140, the binding's millisecond: not after it. Message 72 (142) is.
    const receipts = steady(1, 200);
    const analysis = analyzeRotations([dialerRotation], receipts);
    expect(analysis.gaps).toEqual([142 + 5 - 100.5]);
    expect(analysis.gapsBySide).toEqual({ dialer: [46.5], acceptor: [] });
    expect(analysis.reauth).toEqual([39.5]);
    expect(analysis.phases).toEqual({ svidInUse: [9.5], reauthRequest: [], newConnection: [30] });
    // Deliveries after the push and before message 72's: at 101, 103, …, 145 (messages 49 to 71).
    expect(analysis.deliveredDuringReauth).toEqual([23]);
    expect(analysis.maxInterarrival).toEqual([2]);
  });

  it('counts the longest silence at the receiver from its last delivery before the push', () => {
    // Nothing delivered between 99 and 160: the old connection stopped carrying traffic.
    const receipts = [...steady(1, 48), receipt(49, 96, 160), ...steady(50, 100, 98).map(([n, , sentAt, receivedAt]) => receipt(n, sentAt, receivedAt + 70))];
    const analysis = analyzeRotations([dialerRotation], receipts);
    expect(analysis.maxInterarrival[0]).toBe(160 - 99);
  });

  it('splits the phases of an acceptor rotation, whose acceptor asks the dialer first', () => {
    const rotation: RotationRecord = { side: 'acceptor', pushedAt: 100, rotatingStartedAtMs: 108, dialerStartedAtMs: 111, dialerBoundAtMs: 140 };
    const analysis = analyzeRotations([rotation], steady(1, 200));
    expect(analysis.gapsBySide).toEqual({ dialer: [], acceptor: [47] });
    expect(analysis.phases).toEqual({ svidInUse: [8], reauthRequest: [3], newConnection: [29] });
  });

  it('keeps as steady only messages whose trip overlaps no rotation, from the first rotation on', () => {
    const analysis = analyzeRotations([dialerRotation], steady(1, 200));
    // The rotation's window runs from its push (100.5) to its first new-session delivery (147):
    // messages published before 100.5 precede the first rotation, and those published up to 147
    // overlap the window; the steady ones are those published from 148 (message 75) on.
    expect(analysis.steadyLatency).toEqual(Array.from({ length: 126 }, () => 5));
    // Intervals between deliveries from 100.5 on that do not span the window: 105 → 145 inside it,
    // 145 → 147 and 147 → 149 touching it; from 149 → 151 on, to the last at 403.
    expect(analysis.steadyInterarrival).toEqual(Array.from({ length: (403 - 149) / 2 }, () => 2));
  });

  it('refuses a rotation whose re-authenticated link delivered nothing', () => {
    expect(() => analyzeRotations([dialerRotation], steady(1, 70))).toThrow(RotationRecordError);
  });

  it('refuses rotations that overlap: a first new-session delivery after the next push', () => {
    const next: RotationRecord = { ...dialerRotation, pushedAt: 146, rotatingStartedAtMs: 150, dialerStartedAtMs: 150, dialerBoundAtMs: 170 };
    expect(() => analyzeRotations([dialerRotation, next], steady(1, 200))).toThrow(/arrived after rotation #1 was pushed/);
  });

  it('refuses deliveries before their publication: the processes disagree on the time', () => {
    const receipts = steady(1, 200);
    receipts[150] = receipt(151, 300, 299);
    expect(() => analyzeRotations([dialerRotation], receipts)).toThrow(/clocks disagree/);
  });

  it('refuses to analyze no rotation', () => {
    expect(() => analyzeRotations([], steady(1, 10))).toThrow(RotationRecordError);
  });
});

describe('stream check', () => {
  const numbers = (...ns: number[]): Receipt[] => ns.map((n) => receipt(n, n, n + 1));

  it('passes a whole stream', () => {
    expect(checkStream(numbers(1, 2, 3, 4))).toEqual({ checked: 4, lost: 0, duplicates: 0, reordered: 0, unexpected: 0 });
  });

  it('counts what never came, including a first message missing', () => {
    expect(checkStream(numbers(2, 3, 5, 6))).toEqual({ checked: 6, lost: 2, duplicates: 0, reordered: 0, unexpected: 0 });
  });

  it('counts repeats and late arrivals apart from losses', () => {
    expect(checkStream(numbers(1, 3, 2, 3, 4))).toEqual({ checked: 4, lost: 0, duplicates: 1, reordered: 1, unexpected: 0 });
  });
});
