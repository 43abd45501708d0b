/**
 * The destination's side of one end-to-end session: messages are delivered in the origin's order
 * exactly once. Routes change under a session (a reroute sends what was in flight again, on a path
 * that may be shorter than the old one), so messages arrive out of order and twice: what comes
 * ahead of the next one expected waits in a reorder buffer, what was delivered already is dropped.
 * The buffer holds what the origin may have in flight (e2e-outbox.ts) and no more: a message
 * beyond it is dropped and counted (an origin that does not keep to its window), and the origin
 * resends it once the acknowledgements let it. The buffer is bounded in bytes too (messages of up
 * to 1 MiB each): the message expected next is never buffered (it is delivered at once), so a full
 * buffer only delays what comes after a gap, it never blocks the stream.
 *
 * Pure.
 */

export type InboxReception<T> = { kind: 'deliver'; items: T[] } | { kind: 'duplicate' } | { kind: 'beyond-window' };

export class EndToEndInbox<T> {
  private next = 0;
  private readonly waiting = new Map<number, { item: T; bytes: number }>();
  private waitingBytes = 0;
  delivered = 0;
  duplicates = 0;
  beyondWindow = 0;

  constructor(
    private readonly window: number,
    private readonly windowBytes: number,
  ) {}

  /** Message `seq` (of `bytes` bytes) arrived: what can now be delivered, in order (possibly nothing yet, while a gap before it remains). */
  receive(seq: number, item: T, bytes: number): InboxReception<T> {
    if (seq < this.next || this.waiting.has(seq)) {
      this.duplicates++;
      return { kind: 'duplicate' };
    }
    if (seq >= this.next + this.window || (seq > this.next && this.waitingBytes + bytes > this.windowBytes)) {
      this.beyondWindow++;
      return { kind: 'beyond-window' };
    }
    if (seq > this.next) {
      this.waiting.set(seq, { item, bytes });
      this.waitingBytes += bytes;
      return { kind: 'deliver', items: [] };
    }
    const items = [item];
    this.next++;
    for (let waiting = this.waiting.get(this.next); waiting !== undefined; waiting = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      this.waitingBytes -= waiting.bytes;
      items.push(waiting.item);
      this.next++;
    }
    this.delivered += items.length;
    return { kind: 'deliver', items };
  }

  /** What the acknowledgement says: every message below this was delivered. */
  get receiveNext(): number {
    return this.next;
  }

  /** Their bytes. */
  get bufferedBytes(): number {
    return this.waitingBytes;
  }

  /** Messages waiting for a gap before them to fill. */
  get buffered(): number {
    return this.waiting.size;
  }
}
