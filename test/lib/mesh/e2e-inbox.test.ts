/**
 * The destination's reorder buffer: messages in order are delivered at once; one ahead of a gap
 * waits and is released, in order, with the message that fills the gap; a copy of one delivered or
 * waiting is a duplicate; one beyond the window (by count, or by the buffer's bytes) is dropped,
 * while the message expected next is delivered even when the buffer's bytes are full; every outcome
 * is counted.
 */
import { describe, expect, it } from 'vitest';
import { EndToEndInbox } from '../../../lib/mesh/e2e-inbox.js';

describe('end-to-end inbox', () => {
  it('delivers messages that arrive in order at once, one each', () => {
    const inbox = new EndToEndInbox<string>(4, 100);
    expect(inbox.receive(0, 'a', 1)).toEqual({ kind: 'deliver', items: ['a'] });
    expect(inbox.receive(1, 'b', 1)).toEqual({ kind: 'deliver', items: ['b'] });
    expect([inbox.receiveNext, inbox.buffered, inbox.delivered]).toEqual([2, 0, 2]);
  });

  it('holds messages ahead of a gap and releases them in order when the gap fills', () => {
    const inbox = new EndToEndInbox<string>(4, 100);
    expect(inbox.receive(3, 'd', 1)).toEqual({ kind: 'deliver', items: [] });
    expect(inbox.receive(1, 'b', 1)).toEqual({ kind: 'deliver', items: [] });
    expect([inbox.receiveNext, inbox.buffered, inbox.delivered]).toEqual([0, 2, 0]);
    // 0 releases 1 but not 3: 2 is still missing.
    expect(inbox.receive(0, 'a', 1)).toEqual({ kind: 'deliver', items: ['a', 'b'] });
    expect([inbox.receiveNext, inbox.buffered]).toEqual([2, 1]);
    expect(inbox.receive(2, 'c', 1)).toEqual({ kind: 'deliver', items: ['c', 'd'] });
    expect([inbox.receiveNext, inbox.buffered, inbox.delivered]).toEqual([4, 0, 4]);
  });

  it('drops a copy of a message delivered or waiting as a duplicate, and keeps the first', () => {
    const inbox = new EndToEndInbox<string>(4, 100);
    inbox.receive(0, 'a', 1);
    inbox.receive(2, 'c', 1);
    expect(inbox.receive(0, 'a again', 1)).toEqual({ kind: 'duplicate' });
    expect(inbox.receive(2, 'c again', 1)).toEqual({ kind: 'duplicate' });
    expect([inbox.duplicates, inbox.buffered]).toEqual([2, 1]);
    expect(inbox.receive(1, 'b', 1)).toEqual({ kind: 'deliver', items: ['b', 'c'] });
    expect(inbox.delivered).toBe(3);
  });

  it('drops a message beyond the window of messages, and takes it once the window has moved', () => {
    const inbox = new EndToEndInbox<string>(4, 100);
    expect(inbox.receive(4, 'e', 1)).toEqual({ kind: 'beyond-window' });
    expect(inbox.receive(3, 'd', 1)).toEqual({ kind: 'deliver', items: [] });
    expect([inbox.beyondWindow, inbox.buffered]).toEqual([1, 1]);
    inbox.receive(0, 'a', 1);
    expect(inbox.receive(4, 'e', 1)).toEqual({ kind: 'deliver', items: [] });
    expect(inbox.buffered).toBe(2);
  });

  it("drops a message after a gap that would overflow the buffer's bytes, but delivers the next expected one whatever the bytes", () => {
    const inbox = new EndToEndInbox<string>(8, 10);
    expect(inbox.receive(1, 'b', 6)).toEqual({ kind: 'deliver', items: [] });
    expect(inbox.receive(2, 'c', 5)).toEqual({ kind: 'beyond-window' });
    // Exactly full is within the bound.
    expect(inbox.receive(2, 'c', 4)).toEqual({ kind: 'deliver', items: [] });
    expect(inbox.receive(3, 'd', 1)).toEqual({ kind: 'beyond-window' });
    expect(inbox.receive(0, 'a', 1_000)).toEqual({ kind: 'deliver', items: ['a', 'b', 'c'] });
    expect(inbox.beyondWindow).toBe(2);
    // The released messages freed their bytes: a full buffer's worth waits again.
    expect(inbox.receive(4, 'e', 10)).toEqual({ kind: 'deliver', items: [] });
    expect([inbox.receiveNext, inbox.buffered, inbox.delivered]).toEqual([3, 1, 3]);
  });
});
