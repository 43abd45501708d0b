/**
 * A delivered batch as it crosses into an actor's thread: column by column, not message by
 * message. Structured clone writes every property name and every string of every object it
 * copies, and every element of every array: a batch of 256 envelopes carries the same topic and
 * sender 256 times and costs several times what its payloads cost to copy. The columns carry
 * the payloads as they are, each distinct topic and sender once, per-message indices into those
 * tables only when a batch mixes several, and the sequences as the first one when they are
 * consecutive (the usual case: a mailbox numbers its messages one by one). The publication time
 * stays in the host: only the host's latency measurement reads it.
 *
 * The worker side checks what the schema cannot say (column lengths, indices within the tables)
 * before it builds the messages; this module loads no schema library.
 */
import type { DeliveredMessage, Envelope } from '../contracts/envelope.js';
import type { HostToWorker } from './thread-protocol.js';

export type DeliverColumns = Extract<HostToWorker, { kind: 'deliver' }>;

/** Index of `value` in `table`, appended when new (tables are short: a batch has few topics and senders). */
function indexIn(table: string[], value: string): number {
  const last = table.length - 1;
  // Consecutive messages mostly share topic and sender: the last entry is the usual hit.
  if (last >= 0 && table[last] === value) return last;
  const found = table.indexOf(value);
  if (found >= 0) return found;
  table.push(value);
  return last + 1;
}

/**
 * A per-message index column, built only once its table has a second entry (until then every
 * message points at entry 0, and the column is left out: the usual batch has one topic and one
 * sender, and a batch of one message is the hot path when batching is off).
 */
class IndexColumn {
  readonly table: string[] = [];
  column: number[] | undefined;

  add(position: number, value: string): void {
    const index = indexIn(this.table, value);
    if (this.column) this.column.push(index);
    else if (index > 0) {
      this.column = new Array<number>(position).fill(0);
      this.column.push(index);
    }
  }
}

/** The columns of a non-empty batch, in mailbox order. */
export function packDelivery(batch: readonly Envelope[]): DeliverColumns {
  const count = batch.length;
  const payload = new Array<unknown>(count);
  const topics = new IndexColumn();
  const senders = new IndexColumn();
  const first = batch[0]!.seq;
  let seq: number[] | undefined;
  let requests: [number, string][] | undefined;
  for (let i = 0; i < count; i++) {
    const envelope = batch[i]!;
    payload[i] = envelope.payload;
    // Consecutive sequences (a mailbox numbers its messages one by one) travel as the first alone.
    if (seq) seq.push(envelope.seq);
    else if (envelope.seq !== first + i) {
      seq = batch.slice(0, i).map((earlier) => earlier.seq);
      seq.push(envelope.seq);
    }
    topics.add(i, envelope.topic);
    senders.add(i, envelope.from);
    if (envelope.requestId !== undefined) (requests ??= []).push([i, envelope.requestId]);
  }
  return {
    kind: 'deliver',
    payload,
    seq: seq ?? first,
    topics: topics.table,
    ...(topics.column ? { topic: topics.column } : {}),
    senders: senders.table,
    ...(senders.column ? { from: senders.column } : {}),
    ...(requests ? { requests } : {}),
  };
}

/**
 * The messages of checked columns (the protocol check has passed), or a description of what is
 * inconsistent: a host that sends that is confused, and the worker reports it as a violation.
 */
export function unpackDelivery(columns: DeliverColumns): DeliveredMessage[] | string {
  const { payload, seq, topics, topic, senders, from, requests } = columns;
  const count = payload.length;
  const listed = typeof seq === 'number' ? undefined : seq;
  if (listed && listed.length !== count) return `deliver: ${listed.length} sequences for ${count} payloads`;
  const topicOf = indexColumn('topic', topic, topics.length, count);
  if (typeof topicOf === 'string') return topicOf;
  const senderOf = indexColumn('sender', from, senders.length, count);
  if (typeof senderOf === 'string') return senderOf;
  const messages = new Array<DeliveredMessage>(count);
  for (let i = 0; i < count; i++) {
    const topicName = topics[topicOf ? topicOf[i]! : 0];
    const sender = senders[senderOf ? senderOf[i]! : 0];
    if (topicName === undefined || sender === undefined) return `deliver: message ${i} names topic ${topicOf?.[i]} or sender ${senderOf?.[i]} outside the tables`;
    messages[i] = { seq: listed ? listed[i]! : (seq as number) + i, topic: topicName, payload: payload[i], from: sender };
  }
  if (requests) {
    for (const [index, requestId] of requests) {
      const message = messages[index];
      if (message === undefined) return `deliver: request ${requestId} names message ${index} of ${count}`;
      message.requestId = requestId;
    }
  }
  return messages;
}

/** A per-message index column: absent only when its table has one entry; else one index per payload. */
function indexColumn(what: string, column: number[] | undefined, tableSize: number, count: number): number[] | undefined | string {
  if (column === undefined) return tableSize === 1 ? undefined : `deliver: ${tableSize} ${what}s and no ${what} per message`;
  if (column.length !== count) return `deliver: ${column.length} ${what} indices for ${count} payloads`;
  return column;
}
