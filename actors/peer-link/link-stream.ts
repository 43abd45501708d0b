/**
 * The reliable, ordered message stream of one peer link, independent of the connections that
 * carry it. Each direction numbers its messages from 0; the receiver delivers only the next
 * number it expects and acknowledges cumulatively; the sender keeps every message until it is
 * acknowledged. When the link moves to a new connection (reconnection, or re-authentication with
 * a new SVID) the Hello of each side says what it expects next, and the other resends from there:
 * nothing is lost, and what both connections carry during the switch is delivered once.
 *
 * What goes on the wire is taken one message at a time from a write cursor (takeNextToWrite), so
 * the link writes only as fast as its connection drains: a resend of a full window after a
 * reconnection, and whatever is sent meanwhile behind it, waits here as the plaintext already held,
 * not sealed a second time into the socket's buffer all at once.
 *
 * Each side's state has an incarnation (random). A peer whose incarnation changed has lost its
 * state (its actor restarted): this side then starts the receive direction over and renumbers
 * what it still holds from 0, so the peer gets it (at least once across such a restart).
 *
 * Pure: no sockets, no timers.
 */
import { LinkFrameError } from './link-frame-error.js';

export interface OutgoingMessage {
  seq: number;
  topic: string;
  payload: Buffer;
}

/** How many messages one link holds for a peer that has not acknowledged them (memory bound). */
export const DEFAULT_SEND_WINDOW = 65_536;
/**
 * How many bytes of payload and topic one link holds unacknowledged: a peer that stops
 * acknowledging (or cannot be reached) pins at most this much of the node's memory per link,
 * where a window of messages alone would let 65,536 messages of up to 1 MiB each pile up.
 */
export const DEFAULT_SEND_WINDOW_BYTES = 64 * 1024 * 1024;
/** Acknowledge at least every this many deliveries (and on the ack timer). */
export const ACK_EVERY = 64;

export class SendWindowFullError extends Error {
  override readonly name = 'SendWindowFullError';
  constructor(
    readonly limit: 'messages' | 'bytes',
    readonly window: number,
  ) {
    super(`the link holds ${window} unacknowledged ${limit === 'messages' ? 'messages' : 'bytes'}; the peer is not keeping up or is unreachable`);
  }
}

const heldBytes = (message: OutgoingMessage) => message.payload.length + message.topic.length;

export type Reception = 'deliver' | 'duplicate';

export class LinkStream {
  private sendNext = 0;
  private readonly unacked: OutgoingMessage[] = [];
  private unackedHead = 0;
  private receiveNextSeq = 0;
  private peerIncarnation: string | undefined;
  private deliveredSinceAck = 0;
  /** One past the highest sequence number written to any connection: what a resend repeats. */
  private writtenNext = 0;
  /** The next sequence number to write on the current connection. */
  private cursor = 0;
  private unackedBytes = 0;
  retransmitted = 0;
  duplicates = 0;
  delivered = 0;
  sent = 0;

  constructor(
    readonly incarnation: Buffer,
    private readonly window: number = DEFAULT_SEND_WINDOW,
    private readonly windowBytes: number = DEFAULT_SEND_WINDOW_BYTES,
  ) {}

  /** Queues a message; the caller writes it when the connection takes it (takeNextToWrite). */
  enqueue(topic: string, payload: Buffer): OutgoingMessage {
    if (this.pending >= this.window) throw new SendWindowFullError('messages', this.window);
    const message = { seq: this.sendNext, topic, payload };
    if (this.unackedBytes + heldBytes(message) > this.windowBytes) throw new SendWindowFullError('bytes', this.windowBytes);
    this.sendNext++;
    this.unacked.push(message);
    this.unackedBytes += heldBytes(message);
    this.sent++;
    return message;
  }

  /**
   * The next message to write on the current connection, in order, or undefined when everything
   * held is written. A message written before, on an earlier connection, counts as retransmitted.
   */
  takeNextToWrite(): OutgoingMessage | undefined {
    if (this.cursor >= this.sendNext) return undefined;
    // Held messages are numbered consecutively from the first unacknowledged one.
    const message = this.unacked[this.unackedHead + this.cursor - this.firstHeld]!;
    this.cursor++;
    if (message.seq < this.writtenNext) this.retransmitted++;
    else this.writtenNext = message.seq + 1;
    return message;
  }

  /** Messages held and not yet written on the current connection (all held while none is up). */
  get unwritten(): number {
    return this.sendNext - this.cursor;
  }

  /** The connection is gone: everything held waits to be written on the next one, from the first held. */
  rewind(): void {
    this.cursor = this.firstHeld;
  }

  /** Messages sent and not yet acknowledged. */
  get pending(): number {
    return this.unacked.length - this.unackedHead;
  }

  /** The sequence of the first message held (held messages are numbered consecutively up to sendNext). */
  private get firstHeld(): number {
    return this.sendNext - this.pending;
  }

  /** Their payload and topic bytes. */
  get pendingBytes(): number {
    return this.unackedBytes;
  }

  get receiveNext(): number {
    return this.receiveNextSeq;
  }

  /** A cumulative acknowledgement: the peer has everything below `receiveNext`. */
  acknowledge(receiveNext: number): void {
    if (receiveNext > this.sendNext) {
      throw new LinkFrameError('bad-field', `the peer acknowledges ${receiveNext} but only ${this.sendNext} messages were sent`);
    }
    while (this.unackedHead < this.unacked.length && this.unacked[this.unackedHead]!.seq < receiveNext) {
      this.unackedBytes -= heldBytes(this.unacked[this.unackedHead]!);
      this.unackedHead++;
    }
    // Acknowledged before this connection wrote it (it crossed on the previous one): not written again.
    if (this.cursor < this.firstHeld) this.cursor = this.firstHeld;
    // Compact once the acknowledged prefix dominates, so the array does not grow forever.
    if (this.unackedHead > 1024 && this.unackedHead * 2 > this.unacked.length) {
      this.unacked.splice(0, this.unackedHead);
      this.unackedHead = 0;
    }
  }

  /**
   * The peer's Hello on a new connection: the write cursor goes back to the first message the peer
   * has not got, and the count of messages to (re)send from there is returned. Also restarts the
   * receive direction when the peer's state is new.
   */
  onHello(peerIncarnation: Buffer, peerReceiveNext: number): number {
    const incarnation = peerIncarnation.toString('hex');
    if (this.peerIncarnation !== undefined && this.peerIncarnation !== incarnation) {
      // The peer lost its state: what it had received is gone with it, so start both directions over.
      this.receiveNextSeq = 0;
      this.deliveredSinceAck = 0;
      const firstHeld = this.firstHeld;
      const held = this.unacked.slice(this.unackedHead);
      this.unacked.length = 0;
      this.unackedHead = 0;
      held.forEach((message, index) => this.unacked.push({ ...message, seq: index }));
      this.sendNext = held.length;
      // What had been written keeps its place under the new numbers (a paced backlog was not all written).
      this.writtenNext = Math.min(Math.max(this.writtenNext - firstHeld, 0), held.length);
    }
    this.peerIncarnation = incarnation;
    // Validated first (an acknowledgement of more than was sent throws), then the cursor moves.
    this.acknowledge(peerReceiveNext);
    this.rewind();
    return this.unwritten;
  }

  /** A data frame from the peer: deliver it, or drop it as already delivered. A gap is a protocol error. */
  receive(seq: number): Reception {
    if (seq < this.receiveNextSeq) {
      this.duplicates++;
      return 'duplicate';
    }
    if (seq > this.receiveNextSeq) {
      throw new LinkFrameError('unexpected', `message ${seq} arrived while ${this.receiveNextSeq} was expected`);
    }
    this.receiveNextSeq++;
    this.deliveredSinceAck++;
    this.delivered++;
    return 'deliver';
  }

  /** Whether enough has been delivered that an acknowledgement should go now. */
  get ackDue(): boolean {
    return this.deliveredSinceAck >= ACK_EVERY;
  }

  /** Whether anything was delivered since the last acknowledgement. */
  get ackPending(): boolean {
    return this.deliveredSinceAck > 0;
  }

  /** The acknowledgement to send now. */
  takeAck(): number {
    this.deliveredSinceAck = 0;
    return this.receiveNextSeq;
  }
}
