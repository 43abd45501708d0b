/** A delivered batch in columns: what the worker unpacks is what the host packed, and inconsistent columns are refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packDelivery, unpackDelivery, type DeliverColumns } from '../../../../actors/runtime/host/delivery-columns.js';
import { loadProtocolChecks } from '../../../../actors/runtime/host/worker/thread-protocol-checks.js';
import { protocolCheckSources } from '../../../../actors/runtime/host/thread-protocol-validation.js';
import type { Envelope } from '../../../../actors/runtime/contracts/envelope.js';

const checks = loadProtocolChecks(protocolCheckSources());

const envelope = fc.record(
  {
    seq: fc.nat(),
    topic: fc.constantFrom('a.b', 'c.d', 'e'),
    payload: fc.jsonValue(),
    from: fc.constantFrom('node', 'relay', 'monitor'),
    requestId: fc.string({ minLength: 1, maxLength: 8 }),
    sentAt: fc.double({ noNaN: true }),
  },
  { requiredKeys: ['seq', 'topic', 'payload', 'from', 'sentAt'] },
);

describe('delivery columns', () => {
  it('unpack to the packed messages, in order, without the publication time', () => {
    fc.assert(
      fc.property(fc.array(envelope, { minLength: 1, maxLength: 40 }), (batch: Envelope[]) => {
        const columns = packDelivery(batch);
        expect(checks.hostToWorker(structuredClone(columns))).toBe(true);
        const expected = batch.map(({ sentAt: _sentAt, ...message }) => message);
        expect(unpackDelivery(structuredClone(columns))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('carry each distinct topic and sender once, and consecutive sequences as the first', () => {
    const batch = Array.from({ length: 256 }, (_, i): Envelope => ({ seq: i + 7, topic: 'b', payload: i, from: 'node', sentAt: 0 }));
    const columns = packDelivery(batch);
    expect(columns).toEqual({ kind: 'deliver', payload: batch.map((envelope) => envelope.payload), seq: 7, topics: ['b'], senders: ['node'] });
    const mixed = packDelivery([...batch.slice(0, 2), { seq: 20, topic: 'a', payload: 0, from: 'relay', sentAt: 0 }]);
    expect(mixed).toMatchObject({ seq: [7, 8, 20], topics: ['b', 'a'], topic: [0, 0, 1], senders: ['node', 'relay'], from: [0, 0, 1] });
  });

  /** Two topics, two senders, listed sequences and a request: every column present. */
  const good = (): DeliverColumns => ({ kind: 'deliver', payload: [1, 2], seq: [4, 9], topics: ['t', 'u'], topic: [0, 1], senders: ['node', 'relay'], from: [1, 0], requests: [[1, 'r1']] });

  it('accept the reference columns', () => {
    expect(unpackDelivery(good())).toEqual([
      { seq: 4, topic: 't', payload: 1, from: 'relay' },
      { seq: 9, topic: 'u', payload: 2, from: 'node', requestId: 'r1' },
    ]);
  });

  it.each<[string, (columns: DeliverColumns) => void]>([
    ['fewer sequences than payloads', (c) => (c.seq = [4])],
    ['a topic column longer than the payloads', (c) => c.topic?.push(0)],
    ['a sender column shorter than the payloads', (c) => c.from?.pop()],
    ['no topic column for two topics', (c) => delete c.topic],
    ['no sender column for two senders', (c) => delete c.from],
    ['a topic index outside the table', (c) => (c.topic = [0, 2])],
    ['a sender index outside the table', (c) => (c.from = [3, 0])],
    ['a request for a message that is not there', (c) => (c.requests = [[2, 'r9']])],
  ])('refuse %s', (_name, spoil) => {
    const columns = good();
    spoil(columns);
    expect(unpackDelivery(columns)).toEqual(expect.stringMatching(/^deliver: /));
  });
});
