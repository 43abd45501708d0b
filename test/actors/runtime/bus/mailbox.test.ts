import { describe, expect, it } from 'vitest';
import { Mailbox } from '../../../../actors/runtime/bus/mailbox.js';
import { VirtualClock } from '../../../../lib/timing/virtual-clock.js';

/** Offers message n with a policy, as the bus does. */
const offer = (box: Mailbox, n: number, policy: 'block' | 'drop-oldest' | 'reject') => box.offer('t', n, 'x', 0, undefined, policy);

describe('Mailbox', () => {
  it('hands messages over in order and keeps them until acknowledged', () => {
    const box = new Mailbox('a', 10);
    for (let n = 0; n < 5; n++) offer(box, n, 'block');
    const first = box.take(3);
    expect(first.map((envelope) => envelope.payload)).toEqual([0, 1, 2]);
    expect(box.depth).toBe(5);
    expect(box.ack(first[1]!.seq)).toBe(2);
    expect(box.depth).toBe(3);
    expect(box.inflightCount).toBe(1);
  });

  it('puts unacknowledged messages back at the head after a crash', () => {
    const box = new Mailbox('a', 10);
    for (let n = 0; n < 5; n++) offer(box, n, 'block');
    box.take(3);
    box.ack(1);
    expect(box.requeueInflight()).toBe(2);
    expect(box.take(10).map((envelope) => envelope.payload)).toEqual([1, 2, 3, 4]);
    expect(box.counters.redelivered).toBe(2);
  });

  it('applies the overflow policies at capacity', () => {
    const box = new Mailbox('a', 2);
    expect(offer(box, 0, 'block')).toBe('accepted');
    expect(offer(box, 1, 'block')).toBe('accepted');
    expect(offer(box, 2, 'block')).toBe('full');
    expect(offer(box, 3, 'reject')).toBe('full');
    expect(box.counters.rejected).toBe(1);
    expect(offer(box, 4, 'drop-oldest')).toBe('dropped-oldest');
    expect(box.counters.dropped).toBe(1);
    expect(box.take(10).map((envelope) => envelope.payload)).toEqual([1, 4]);
  });

  it('drops nothing in flight: drop-oldest on a mailbox that is all in flight refuses instead', () => {
    const box = new Mailbox('a', 1);
    offer(box, 0, 'drop-oldest');
    box.take(1);
    expect(offer(box, 1, 'drop-oldest')).toBe('full');
  });

  it('stays correct across many cycles (compaction)', () => {
    const box = new Mailbox('a', 100);
    let expected = 0;
    for (let round = 0; round < 200; round++) {
      for (let n = 0; n < 50; n++) offer(box, round * 50 + n, 'block');
      const batch = box.take(50);
      for (const envelope of batch) expect(envelope.payload).toBe(expected++);
      box.ack(batch[batch.length - 1]!.seq);
    }
    expect(box.depth).toBe(0);
  });
});

describe('Mailbox after a restart', () => {
  it('releases the requeued messages a restored snapshot already contains, and only those', () => {
    const box = new Mailbox('a', 10);
    for (let n = 0; n < 6; n++) offer(box, n, 'block');
    const batch = box.take(4);
    // The thread processed and stored the first three, then crashed before acknowledging them.
    box.requeueInflight();
    expect(box.releaseRestored(batch[2]!.seq)).toBe(3);
    expect(box.take(10).map((envelope) => envelope.payload)).toEqual([3, 4, 5]);
  });
});

describe('Mailbox remediations', () => {
  function filled(): Mailbox {
    const mailbox = new Mailbox('a', 100);
    for (const topic of ['x', 'flood', 'flood', 'y', 'flood']) mailbox.offer(topic, null, 's', 0, undefined, 'reject');
    return mailbox;
  }

  it('sheds a topic: removes its pending messages and refuses it until the deadline', () => {
    const mailbox = filled();
    expect(mailbox.dominantTopic()).toBe('flood');
    expect(mailbox.shed('flood', 1_000)).toBe(3);
    expect(mailbox.take(10).map((envelope) => envelope.topic)).toEqual(['x', 'y']);
    expect(mailbox.offer('flood', null, 's', 999, undefined, 'reject')).toBe('shed');
    expect(mailbox.counters.shed).toBe(4);
    expect(mailbox.offer('flood', null, 's', 1_000, undefined, 'reject')).toBe('accepted');
    mailbox.shed('y', 5_000);
    expect(mailbox.unshed('y')).toBe(true);
    expect(mailbox.unshed('y')).toBe(false);
    expect(mailbox.offer('y', null, 's', 10, undefined, 'reject')).toBe('accepted');
  });

  it('removes one message by sequence, and drains what is pending while in-flight messages stay', () => {
    const mailbox = filled();
    const inflight = mailbox.take(1);
    expect(mailbox.remove(inflight[0]!.seq)).toBeUndefined();
    expect(mailbox.remove(3)?.topic).toBe('flood');
    expect(mailbox.drainPending().map((envelope) => envelope.seq)).toEqual([2, 4, 5]);
    expect(mailbox.depth).toBe(1);
    expect(mailbox.counters.removed).toBe(4);
    expect(mailbox.dominantTopic()).toBeUndefined();
  });
});

describe('Mailbox latency', () => {
  it("measures each acknowledged message's time since publication on the observer's clock", () => {
    const clock = new VirtualClock({ epochMs: 10_000 });
    const latencies: number[] = [];
    const box = new Mailbox('a', 10, { clock, observe: (latencyMs) => latencies.push(latencyMs) });
    box.offer('t', 1, 's', 10_000, undefined, 'reject');
    clock.advance(40);
    box.offer('t', 2, 's', clock.now(), undefined, 'reject');
    box.take(10);
    clock.advance(25);
    expect(box.ack(2)).toBe(2);
    expect(latencies).toEqual([65, 25]);
  });

  it('tells its high-water listener once as the depth reaches the mark, and again only after it fell to half', () => {
    const crossings: number[] = [];
    const box = new Mailbox('a', 100, undefined, { depth: 10, crossed: (depth) => crossings.push(depth) });
    for (let n = 0; n < 9; n++) offer(box, n, 'block');
    expect(crossings).toEqual([]);
    offer(box, 9, 'block');
    expect(crossings).toEqual([10]);
    for (let n = 10; n < 20; n++) offer(box, n, 'block');
    expect(crossings).toEqual([10]);
    // Drained to 6: above half the mark, so a rise back to 10 is the same flood.
    box.ack(box.take(14).at(-1)!.seq);
    for (let n = 20; n < 24; n++) offer(box, n, 'block');
    expect(box.depth).toBe(10);
    expect(crossings).toEqual([10]);
    // Drained to 4, at most half the mark: the next rise to 10 is a new crossing.
    box.ack(box.take(6).at(-1)!.seq);
    for (let n = 24; n < 30; n++) offer(box, n, 'block');
    expect(box.depth).toBe(10);
    expect(crossings).toEqual([10, 10]);
  });
});

