/**
 * What one origin holds for one destination until the destination acknowledges it end to end: the
 * messages of a session numbered from 0, each sent at most once per round trip unless its route
 * changes (end-to-end.ts resends it then at once). The destination acknowledges cumulatively; the
 * origin drops what it has acknowledged. Only the first `maxInFlight` held messages go out at a
 * time: the destination's reorder buffer is of that size, so nothing sent can be refused as beyond
 * it, and a slow destination slows its origin down instead of filling the forwarders' windows.
 *
 * Pure: times come in as arguments.
 */

export interface OutboxMessage {
  seq: number;
  topic: string;
  payload: Buffer;
  /** When it last went out (monotonic ms), and through which neighbour; unset while it waits. */
  sentAt?: number;
  sentVia?: string;
  /** How often it went out: more than once means resent. */
  attempts: number;
}

export interface OutboxLimits {
  /** Messages held for one destination, sent or not. */
  maxMessages: number;
  /** Their topic and payload bytes. */
  maxBytes: number;
  /** Messages out at once: the destination's reorder buffer (e2e-inbox.ts) has room for exactly these. */
  maxInFlight: number;
}

export class OutboxFullError extends Error {
  override readonly name = 'OutboxFullError';
  constructor(
    readonly limit: 'messages' | 'bytes',
    readonly held: number,
  ) {
    super(`${held} ${limit} are held for this destination unacknowledged: it is not keeping up or cannot be reached`);
  }
}

const heldBytes = (message: Pick<OutboxMessage, 'topic' | 'payload'>) => message.payload.length + message.topic.length;

export class EndToEndOutbox {
  private readonly held: OutboxMessage[] = [];
  private head = 0;
  private nextSeq = 0;
  /** The first message never sent: messages first go out in order, so those never sent are the held ones from here on. */
  private unsentSeq = 0;
  private bytes = 0;
  sent = 0;
  resent = 0;

  constructor(private readonly limits: OutboxLimits) {}

  /** Queues a message; throws OutboxFullError beyond the limits (nothing is queued then). */
  push(topic: string, payload: Buffer): OutboxMessage {
    if (this.pending >= this.limits.maxMessages) throw new OutboxFullError('messages', this.pending);
    const message: OutboxMessage = { seq: this.nextSeq, topic, payload, attempts: 0 };
    if (this.bytes + heldBytes(message) > this.limits.maxBytes) throw new OutboxFullError('bytes', this.bytes);
    this.nextSeq++;
    this.held.push(message);
    this.bytes += heldBytes(message);
    return message;
  }

  /**
   * The destination has every message below `receiveNext`: they are dropped. Returns how many; an
   * acknowledgement of more than was sent is refused (false) and changes nothing.
   */
  acknowledge(receiveNext: number): number | false {
    if (!Number.isSafeInteger(receiveNext) || receiveNext > this.nextSeq) return false;
    let freed = 0;
    while (this.head < this.held.length && this.held[this.head]!.seq < receiveNext) {
      this.bytes -= heldBytes(this.held[this.head]!);
      this.head++;
      freed++;
    }
    // Compact once the acknowledged prefix dominates, so the array does not grow forever.
    if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held.splice(0, this.head);
      this.head = 0;
    }
    return freed;
  }

  /**
   * What should go out now through `via`: each message of the in-flight window that never went,
   * went through another neighbour (its route changed), or went longer than `rtoMs` ago.
   */
  due(now: number, rtoMs: number, via: string): OutboxMessage[] {
    const out: OutboxMessage[] = [];
    const end = Math.min(this.held.length, this.head + this.limits.maxInFlight);
    for (let index = this.head; index < end; index++) {
      const message = this.held[index]!;
      if (message.sentAt === undefined || message.sentVia !== via || now - message.sentAt >= rtoMs) out.push(message);
    }
    return out;
  }

  markSent(message: OutboxMessage, now: number, via: string): void {
    if (message.attempts > 0) this.resent++;
    else this.sent++;
    // Its first send under this numbering (a renumbered message keeps its attempts, not its sentAt).
    if (message.sentAt === undefined) this.unsentSeq = Math.max(this.unsentSeq, message.seq + 1);
    message.attempts++;
    message.sentAt = now;
    message.sentVia = via;
  }

  /**
   * The in-flight window's messages that never went out, in order: what a send or an
   * acknowledgement (which moves the window) makes due, found without scanning what is out.
   */
  unsent(): OutboxMessage[] {
    const first = this.nextSeq - this.pending;
    const from = this.head + Math.max(0, this.unsentSeq - first);
    const end = Math.min(this.held.length, this.head + this.limits.maxInFlight);
    return from < end ? this.held.slice(from, end) : [];
  }

  /** When the oldest message out went (what the retransmission timer waits on), if any is out. */
  oldestSentAt(): number | undefined {
    let oldest: number | undefined;
    const end = Math.min(this.held.length, this.head + this.limits.maxInFlight);
    for (let index = this.head; index < end; index++) {
      const sentAt = this.held[index]!.sentAt;
      if (sentAt !== undefined && (oldest === undefined || sentAt < oldest)) oldest = sentAt;
    }
    return oldest;
  }

  /**
   * A new session (the destination lost the old one's state): everything held is numbered again
   * from 0 and waits to go out under the new session's keys.
   */
  renumber(): void {
    const held = this.held.slice(this.head);
    this.held.length = 0;
    this.head = 0;
    held.forEach((message, index) => {
      this.held.push({ seq: index, topic: message.topic, payload: message.payload, attempts: message.attempts });
    });
    this.nextSeq = held.length;
    this.unsentSeq = 0;
  }

  /** The held message numbered `seq`, if it is still held. */
  message(seq: number): OutboxMessage | undefined {
    const first = this.nextSeq - this.pending;
    return seq >= first && seq < this.nextSeq ? this.held[this.head + seq - first] : undefined;
  }

  /** Messages held (sent and not acknowledged, or waiting). */
  get pending(): number {
    return this.held.length - this.head;
  }

  get pendingBytes(): number {
    return this.bytes;
  }

  /** The number the next message gets: an acknowledgement may not exceed it. */
  get sendNext(): number {
    return this.nextSeq;
  }
}
