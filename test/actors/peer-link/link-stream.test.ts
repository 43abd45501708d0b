/**
 * The reliable stream under a peer link: in-order delivery with duplicates dropped, cumulative
 * acknowledgements, resend from the peer's Hello after a connection change, and a fresh start in
 * both directions when the peer's state was lost (new incarnation).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LinkFrameError } from '../../../actors/peer-link/link-frame-error.js';
import { ACK_EVERY, LinkStream, SendWindowFullError } from '../../../actors/peer-link/link-stream.js';

const payload = (n: number) => Buffer.from(String(n));
const seqs = (messages: Array<{ seq: number }>) => messages.map((message) => message.seq);

/** Takes everything the stream has to write now, as a connection that never congests would. */
function writeAll(stream: LinkStream) {
  const written = [];
  for (let message = stream.takeNextToWrite(); message; message = stream.takeNextToWrite()) written.push(message);
  return written;
}

describe('link stream', () => {
  it('numbers messages from 0 and keeps them until acknowledged', () => {
    const stream = new LinkStream(randomBytes(16));
    for (let n = 0; n < 5; n++) stream.enqueue('t', payload(n));
    expect(seqs(writeAll(stream))).toEqual([0, 1, 2, 3, 4]);
    expect(stream.pending).toBe(5);
    stream.acknowledge(3);
    expect(stream.pending).toBe(2);
    stream.acknowledge(2); // an older acknowledgement changes nothing
    expect(stream.pending).toBe(2);
    expect(() => stream.acknowledge(6)).toThrow(LinkFrameError);
  });

  it('delivers the next number, drops repeats, and refuses a gap', () => {
    const stream = new LinkStream(randomBytes(16));
    expect(stream.receive(0)).toBe('deliver');
    expect(stream.receive(1)).toBe('deliver');
    expect(stream.receive(0)).toBe('duplicate');
    expect(() => stream.receive(3)).toThrow(/message 3 arrived while 2 was expected/);
    expect(stream.delivered).toBe(2);
    expect(stream.duplicates).toBe(1);
  });

  it('asks for an acknowledgement every ACK_EVERY deliveries', () => {
    const stream = new LinkStream(randomBytes(16));
    for (let seq = 0; seq < ACK_EVERY - 1; seq++) stream.receive(seq);
    expect(stream.ackDue).toBe(false);
    expect(stream.ackPending).toBe(true);
    stream.receive(ACK_EVERY - 1);
    expect(stream.ackDue).toBe(true);
    expect(stream.takeAck()).toBe(ACK_EVERY);
    expect(stream.ackPending).toBe(false);
  });

  it('resends from what the peer says it expects when the link moves to a new connection', () => {
    const peer = randomBytes(16);
    const stream = new LinkStream(randomBytes(16));
    expect(stream.onHello(peer, 0)).toBe(0);
    for (let n = 0; n < 10; n++) stream.enqueue('t', payload(n));
    writeAll(stream);
    stream.enqueue('t', payload(10)); // queued while no connection was up: not a retransmission
    expect(stream.onHello(peer, 6)).toBe(5);
    expect(seqs(writeAll(stream))).toEqual([6, 7, 8, 9, 10]);
    expect(stream.retransmitted).toBe(4);
    expect(stream.pending).toBe(5);
  });

  it('writes one message at a time from a cursor: a backlog waits in order, and new messages queue behind it', () => {
    const peer = randomBytes(16);
    const stream = new LinkStream(randomBytes(16));
    stream.onHello(peer, 0);
    for (let n = 0; n < 6; n++) stream.enqueue('t', payload(n));
    expect(seqs([stream.takeNextToWrite()!, stream.takeNextToWrite()!])).toEqual([0, 1]);
    expect(stream.unwritten).toBe(4);
    // A connection that congests here: what is sent meanwhile waits behind the backlog.
    stream.enqueue('t', payload(6));
    expect(stream.unwritten).toBe(5);
    // Acknowledged beyond the cursor (those crossed on the previous connection): skipped, never written twice.
    stream.acknowledge(4);
    expect(stream.unwritten).toBe(3);
    expect(seqs(writeAll(stream))).toEqual([4, 5, 6]);
    expect(stream.unwritten).toBe(0);
    expect(stream.takeNextToWrite()).toBeUndefined();
    // The connection goes: everything held waits for the next one.
    stream.rewind();
    expect(stream.unwritten).toBe(3);
    // Resent on a new connection from where the peer stands, each counted once as retransmitted.
    expect(stream.onHello(peer, 5)).toBe(2);
    expect(seqs(writeAll(stream))).toEqual([5, 6]);
    expect(stream.retransmitted).toBe(2);
  });

  it('counts as retransmitted, after a peer restart renumbers what it holds, only what had been written', () => {
    const stream = new LinkStream(randomBytes(16));
    stream.onHello(randomBytes(16), 0);
    for (let n = 0; n < 10; n++) stream.enqueue('t', payload(n));
    // A paced backlog: 4 written (0..3), the peer acknowledged 2.
    for (let n = 0; n < 4; n++) stream.takeNextToWrite();
    stream.acknowledge(2);
    // The peer restarts: the 8 held (2..9) become 0..7, of which the first 2 (old 2 and 3) were written.
    expect(stream.onHello(randomBytes(16), 0)).toBe(8);
    expect(writeAll(stream).map((message) => message.payload.toString())).toEqual(['2', '3', '4', '5', '6', '7', '8', '9']);
    expect(stream.retransmitted).toBe(2);
  });

  it('refuses a Hello that acknowledges more than was sent, and leaves its cursor where it was', () => {
    const peer = randomBytes(16);
    const stream = new LinkStream(randomBytes(16));
    stream.onHello(peer, 0);
    for (let n = 0; n < 4; n++) stream.enqueue('t', payload(n));
    writeAll(stream);
    stream.acknowledge(2);
    expect(() => stream.onHello(peer, 9)).toThrow(LinkFrameError);
    expect(stream.unwritten).toBe(0);
    expect(stream.takeNextToWrite()).toBeUndefined();
  });

  it('writes from the first message it holds when a Hello claims less than the peer already acknowledged', () => {
    const peer = randomBytes(16);
    const stream = new LinkStream(randomBytes(16));
    stream.onHello(peer, 0);
    for (let n = 0; n < 4; n++) stream.enqueue('t', payload(n));
    writeAll(stream);
    stream.acknowledge(3);
    // A confused or hostile peer: what it acknowledged is gone, so the stream resends what it holds.
    expect(stream.onHello(peer, 1)).toBe(1);
    expect(seqs(writeAll(stream))).toEqual([3]);
  });

  it('starts both directions over when the peer lost its state, renumbering what it still holds', () => {
    const stream = new LinkStream(randomBytes(16));
    stream.onHello(randomBytes(16), 0);
    for (let n = 0; n < 5; n++) stream.enqueue('t', payload(n));
    writeAll(stream);
    stream.acknowledge(2);
    stream.receive(0);
    stream.receive(1);
    expect(stream.onHello(randomBytes(16), 0)).toBe(3);
    const resent = writeAll(stream);
    expect(seqs(resent)).toEqual([0, 1, 2]);
    expect(resent.map((message) => message.payload.toString())).toEqual(['2', '3', '4']);
    expect(stream.receiveNext).toBe(0);
    expect(stream.enqueue('t', payload(5)).seq).toBe(3);
  });

  it('refuses new messages when its window is full of unacknowledged ones', () => {
    const stream = new LinkStream(randomBytes(16), 3);
    for (let n = 0; n < 3; n++) stream.enqueue('t', payload(n));
    expect(() => stream.enqueue('t', payload(3))).toThrow(SendWindowFullError);
    stream.acknowledge(1);
    expect(stream.enqueue('t', payload(3)).seq).toBe(3);
  });

  it('refuses new messages when the unacknowledged ones hold its byte budget, and takes them again as they are acknowledged', () => {
    const stream = new LinkStream(randomBytes(16), 1_000, 3 * 1_001);
    const big = (n: number) => Buffer.alloc(1_000, n);
    for (let n = 0; n < 3; n++) stream.enqueue('t', big(n));
    expect(stream.pendingBytes).toBe(3 * 1_001);
    let refusal: unknown;
    try {
      stream.enqueue('t', Buffer.alloc(1));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(SendWindowFullError);
    expect(refusal).toMatchObject({ limit: 'bytes', window: 3 * 1_001 });
    // A refused message takes no sequence number: the next one accepted is 3.
    stream.acknowledge(2);
    expect(stream.pendingBytes).toBe(1_001);
    expect(stream.enqueue('t', big(3)).seq).toBe(3);
    // A peer restart renumbers what is held; the bytes held stay the same.
    stream.onHello(randomBytes(16), 0);
    stream.onHello(randomBytes(16), 0);
    expect(stream.pendingBytes).toBe(2 * 1_001);
  });

  it('keeps memory bounded over a long run of acknowledged messages', () => {
    const stream = new LinkStream(randomBytes(16));
    for (let n = 0; n < 10_000; n++) {
      stream.enqueue('t', payload(n));
      stream.acknowledge(n + 1);
    }
    expect(stream.pending).toBe(0);
    expect((stream as unknown as { unacked: unknown[] }).unacked.length).toBeLessThan(2_100);
  });
});
