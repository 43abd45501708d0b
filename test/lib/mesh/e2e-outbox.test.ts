/**
 * What an origin holds for one destination: pushes beyond the message or byte limit are refused and
 * queue nothing; acknowledgements are cumulative, return what they freed, and one beyond what was
 * numbered (or not an integer) is refused and changes nothing; after more than 1,024 acknowledged
 * messages the array is compacted and order and `message(seq)` stay right; `due` gives the unsent,
 * those sent through another neighbour and those older than the timeout, only within the in-flight
 * window; markSent counts first sends and resends; oldestSentAt is the timer's reference; renumber
 * starts a new session from 0 with everything unsent and the attempts kept.
 */
import { describe, expect, it } from 'vitest';
import { EndToEndOutbox, OutboxFullError, type OutboxLimits } from '../../../lib/mesh/e2e-outbox.js';

const LIMITS: OutboxLimits = { maxMessages: 100, maxBytes: 10_000, maxInFlight: 3 };

function outbox(count: number, limits: Partial<OutboxLimits> = {}): EndToEndOutbox {
  const box = new EndToEndOutbox({ ...LIMITS, ...limits });
  for (let index = 0; index < count; index++) box.push('t', Buffer.from(`m${index}`));
  return box;
}

const seqs = (messages: Array<{ seq: number }>) => messages.map((message) => message.seq);

function refusal(run: () => unknown): OutboxFullError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OutboxFullError);
    return error as OutboxFullError;
  }
  throw new Error('the push was accepted');
}

describe('end-to-end outbox', () => {
  it('numbers pushed messages from 0 and refuses one beyond the message limit, queueing nothing', () => {
    const box = outbox(0, { maxMessages: 2 });
    expect(seqs([box.push('t', Buffer.from('a')), box.push('t', Buffer.from('b'))])).toEqual([0, 1]);
    const error = refusal(() => box.push('t', Buffer.from('c')));
    expect(error.name).toBe('OutboxFullError');
    expect([error.limit, error.held]).toEqual(['messages', 2]);
    expect([box.pending, box.sendNext, box.pendingBytes]).toEqual([2, 2, 4]);
    // Once one is acknowledged there is room again, and the next gets the next number.
    box.acknowledge(1);
    expect(box.push('t', Buffer.from('c')).seq).toBe(2);
  });

  it('counts topic and payload bytes and refuses a push beyond the byte limit, queueing nothing', () => {
    const box = outbox(0, { maxBytes: 10 });
    box.push('t', Buffer.alloc(5));
    const error = refusal(() => box.push('tt', Buffer.alloc(3)));
    expect([error.limit, error.held]).toEqual(['bytes', 6]);
    expect([box.pending, box.sendNext, box.pendingBytes]).toEqual([1, 1, 6]);
    // Exactly at the limit is within it.
    expect(box.push('tt', Buffer.alloc(2)).seq).toBe(1);
    expect(box.pendingBytes).toBe(10);
  });

  it('acknowledges cumulatively: returns how many it freed, frees their bytes, and an older acknowledgement frees nothing', () => {
    const box = outbox(5);
    expect(box.acknowledge(3)).toBe(3);
    expect([box.pending, box.pendingBytes]).toEqual([2, 2 * 3]);
    expect(box.acknowledge(3)).toBe(0);
    expect(box.acknowledge(1)).toBe(0);
    expect(box.message(2)).toBeUndefined();
    expect(box.message(3)?.payload.toString()).toBe('m3');
    expect(box.acknowledge(5)).toBe(2);
    expect([box.pending, box.pendingBytes]).toEqual([0, 0]);
  });

  it('refuses an acknowledgement beyond sendNext or not an integer, and changes nothing', () => {
    const box = outbox(3);
    for (const bad of [4, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) expect(box.acknowledge(bad)).toBe(false);
    expect([box.pending, box.pendingBytes, box.sendNext]).toEqual([3, 9, 3]);
    expect(box.acknowledge(3)).toBe(3);
  });

  it('compacts once more than 1,024 are acknowledged, keeping the order and what message(seq) finds', () => {
    const box = outbox(1_100, { maxMessages: 5_000, maxBytes: 1_000_000 });
    const held = (box as unknown as { held: unknown[] }).held;
    expect(box.acknowledge(1_024)).toBe(1_024);
    // At 1,024 the acknowledged prefix stays in place.
    expect(held).toHaveLength(1_100);
    expect(box.acknowledge(1_025)).toBe(1);
    expect(held).toHaveLength(75);
    expect(box.pending).toBe(75);
    expect(box.message(1_024)).toBeUndefined();
    expect(box.message(1_025)?.payload.toString()).toBe('m1025');
    expect(box.message(1_099)?.payload.toString()).toBe('m1099');
    expect(box.message(1_100)).toBeUndefined();
    expect(seqs(box.due(0, 100, 'n'))).toEqual([1_025, 1_026, 1_027]);
    expect(box.push('t', Buffer.from('next')).seq).toBe(1_100);
    expect(box.message(1_100)?.payload.toString()).toBe('next');
    expect(box.acknowledge(1_050)).toBe(25);
    expect(box.message(1_050)?.seq).toBe(1_050);
  });

  it('gives as due the unsent, those sent through another neighbour and those older than the timeout, only within the in-flight window', () => {
    const box = outbox(5);
    expect(seqs(box.due(0, 100, 'x'))).toEqual([0, 1, 2]);
    box.markSent(box.message(0)!, 0, 'x');
    box.markSent(box.message(1)!, 60, 'x');
    expect(seqs(box.due(99, 100, 'x'))).toEqual([2]);
    // Message 0 went 100 ms ago: due again; message 1 only 40 ms ago.
    expect(seqs(box.due(100, 100, 'x'))).toEqual([0, 2]);
    // Through another neighbour: everything of the window is due at once, whatever its age.
    expect(seqs(box.due(61, 100, 'y'))).toEqual([0, 1, 2]);
    // An acknowledgement moves the window: 3 enters it, 0 leaves it.
    box.acknowledge(1);
    expect(seqs(box.due(100, 100, 'x'))).toEqual([2, 3]);
  });

  it('gives as unsent, without scanning what is out, the window\'s messages never sent, in order, and all of them again after a renumbering', () => {
    const box = outbox(5);
    expect(seqs(box.unsent())).toEqual([0, 1, 2]);
    box.markSent(box.message(0)!, 0, 'x');
    box.markSent(box.message(1)!, 0, 'x');
    expect(seqs(box.unsent())).toEqual([2]);
    // A resend does not make a message unsent again, nor move the cursor back.
    box.markSent(box.message(0)!, 10, 'y');
    expect(seqs(box.unsent())).toEqual([2]);
    // The window moves with an acknowledgement: 3 and 4 enter it, never sent.
    box.acknowledge(2);
    expect(seqs(box.unsent())).toEqual([2, 3, 4]);
    box.markSent(box.message(2)!, 20, 'x');
    box.renumber();
    expect(seqs(box.unsent())).toEqual([0, 1, 2]);
    // Sent under the new numbers, they are unsent no more; the one that had gone before counts as resent.
    box.markSent(box.message(0)!, 30, 'x');
    box.markSent(box.message(1)!, 30, 'x');
    expect(seqs(box.unsent())).toEqual([2]);
    expect([box.sent, box.resent]).toEqual([4, 2]);
  });

  it('counts first sends and resends, and records when and through which neighbour each went', () => {
    const box = outbox(2);
    const first = box.message(0)!;
    box.markSent(first, 10, 'x');
    box.markSent(box.message(1)!, 10, 'x');
    box.markSent(first, 20, 'y');
    expect([box.sent, box.resent]).toEqual([2, 1]);
    expect([first.attempts, first.sentAt, first.sentVia]).toEqual([2, 20, 'y']);
    expect(box.message(1)!.attempts).toBe(1);
  });

  it('gives the oldest send time among the messages out, none before any went', () => {
    const box = outbox(4);
    expect(box.oldestSentAt()).toBeUndefined();
    box.markSent(box.message(1)!, 30, 'x');
    box.markSent(box.message(0)!, 50, 'x');
    expect(box.oldestSentAt()).toBe(30);
    box.acknowledge(2);
    expect(box.oldestSentAt()).toBeUndefined();
    box.markSent(box.message(3)!, 70, 'x');
    expect(box.oldestSentAt()).toBe(70);
  });

  it('renumbers what it holds from 0, unsent, with the attempts kept, so that resends still count as resends', () => {
    const box = outbox(5);
    for (const seq of [0, 1, 2]) box.markSent(box.message(seq)!, 0, 'x');
    box.acknowledge(2);
    const bytes = box.pendingBytes;
    box.renumber();
    expect([box.pending, box.sendNext, box.pendingBytes]).toEqual([3, 3, bytes]);
    expect([0, 1, 2].map((seq) => box.message(seq)?.payload.toString())).toEqual(['m2', 'm3', 'm4']);
    expect([0, 1, 2].map((seq) => box.message(seq)?.attempts)).toEqual([1, 0, 0]);
    expect(box.message(0)!.sentAt).toBeUndefined();
    expect(box.message(0)!.sentVia).toBeUndefined();
    expect(box.oldestSentAt()).toBeUndefined();
    expect(seqs(box.due(0, 100, 'x'))).toEqual([0, 1, 2]);
    box.markSent(box.message(0)!, 0, 'x');
    expect([box.sent, box.resent]).toEqual([3, 1]);
    expect(box.acknowledge(4)).toBe(false);
    expect(box.acknowledge(3)).toBe(3);
  });
});
