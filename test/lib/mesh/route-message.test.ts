/**
 * Routing messages on the wire: updates and requests come back as they were sent, at their bounds
 * too (u32 seqnos, a retraction's metric, 4,096 entries, the longest SPIFFE ID); everything a
 * neighbour could send that does not fit is refused with its reason: a message over the size cap
 * unread, counts over their caps, an unknown version, destinations that are no workload's SPIFFE
 * ID, a hop count of 0, truncation anywhere, trailing bytes. The encoder refuses to write what the
 * decoder would refuse.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SPIFFE_ID_BYTES } from '../../../lib/crypto/node-record.js';
import { WireWriter } from '../../../lib/crypto/wire.js';
import {
  MAX_ROUTE_MESSAGE_BYTES,
  MAX_ROUTE_REQUESTS,
  MAX_ROUTE_UPDATES,
  RouteMessageError,
  decodeRouteMessage,
  encodeRouteMessage,
  type RouteMessage,
  type RouteMessageRefusal,
} from '../../../lib/mesh/route-message.js';
import { INFINITE_METRIC } from '../../../lib/mesh/route-table.js';

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';

const message: RouteMessage = {
  updates: [
    { destination: A, seqno: 1_764_500_000, metric: 0 },
    { destination: B, seqno: 0xffff_ffff, metric: INFINITE_METRIC },
  ],
  requests: [{ destination: B, seqno: 7, hopCount: 64 }],
};

function refusal(bytes: Uint8Array): RouteMessageRefusal {
  try {
    decodeRouteMessage(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(RouteMessageError);
    return (error as RouteMessageError).reason;
  }
  throw new Error('the message was accepted');
}

/** A message written field by field, to say what the encoder would not. */
function raw(write: (writer: WireWriter) => WireWriter): Buffer {
  return write(new WireWriter()).finish();
}

const id = (text: string) => Buffer.from(text, 'utf8');

describe('route messages', () => {
  it('come back as sent: empty, typical, and at every bound', () => {
    expect(decodeRouteMessage(encodeRouteMessage({ updates: [], requests: [] }))).toEqual({ updates: [], requests: [] });
    expect(decodeRouteMessage(encodeRouteMessage(message))).toEqual(message);
    const longest = `spiffe://mesh.test/${'n'.repeat(MAX_SPIFFE_ID_BYTES - 'spiffe://mesh.test/'.length)}`;
    const full: RouteMessage = {
      updates: Array.from({ length: MAX_ROUTE_UPDATES }, (_, index) => ({ destination: index === 0 ? longest : `spiffe://mesh.test/node/${index}`, seqno: index, metric: index })),
      requests: Array.from({ length: MAX_ROUTE_REQUESTS }, (_, index) => ({ destination: `spiffe://mesh.test/node/${index}`, seqno: index, hopCount: 1 + (index % 255) })),
    };
    const bytes = encodeRouteMessage(full);
    expect(bytes.length).toBeLessThanOrEqual(MAX_ROUTE_MESSAGE_BYTES);
    expect(decodeRouteMessage(bytes)).toEqual(full);
  });

  it('refuse a message over the size cap unread, and counts over their caps', () => {
    expect(refusal(Buffer.alloc(MAX_ROUTE_MESSAGE_BYTES + 1))).toBe('oversized');
    expect(refusal(raw((w) => w.u8(1).u16(MAX_ROUTE_UPDATES + 1)))).toBe('oversized');
    expect(refusal(raw((w) => w.u8(1).u16(0).u16(MAX_ROUTE_REQUESTS + 1)))).toBe('oversized');
  });

  it('refuse an unknown version, destinations that are no workload SPIFFE ID, a hop count of 0, truncation and trailing bytes', () => {
    const bytes = encodeRouteMessage(message);
    expect(refusal(Buffer.alloc(0))).toBe('malformed');
    const badVersion = Buffer.from(bytes);
    badVersion[0] = 2;
    expect(refusal(badVersion)).toBe('malformed');
    for (const destination of [id('spiffe://mesh.test'), id('not an id'), id('SPIFFE://mesh.test/a'), Buffer.from([0xff, 0xfe]), Buffer.alloc(0)]) {
      expect(refusal(raw((w) => w.u8(1).u16(1).vector16(destination).u32(1).u16(1).u16(0))), destination.toString()).toBe('malformed');
      expect(refusal(raw((w) => w.u8(1).u16(0).u16(1).vector16(destination).u32(1).u8(1))), destination.toString()).toBe('malformed');
    }
    expect(refusal(raw((w) => w.u8(1).u16(1).vector16(Buffer.alloc(MAX_SPIFFE_ID_BYTES + 1, 0x61)).u32(1).u16(1).u16(0)))).toBe('malformed');
    expect(refusal(raw((w) => w.u8(1).u16(0).u16(1).vector16(id(A)).u32(1).u8(0)))).toBe('malformed');
    for (let length = 0; length < bytes.length; length++) expect(refusal(bytes.subarray(0, length)), `cut at ${length}`).toBe('malformed');
    expect(refusal(Buffer.concat([bytes, Buffer.from([0])]))).toBe('malformed');
  });

  it('are not written when the decoder would refuse them', () => {
    const update = message.updates[0]!;
    const request = message.requests[0]!;
    const bad: RouteMessage[] = [
      { updates: Array.from({ length: MAX_ROUTE_UPDATES + 1 }, () => update), requests: [] },
      { updates: [], requests: Array.from({ length: MAX_ROUTE_REQUESTS + 1 }, () => request) },
      { updates: [{ ...update, seqno: 2 ** 32 }], requests: [] },
      { updates: [{ ...update, metric: INFINITE_METRIC + 1 }], requests: [] },
      { updates: [{ ...update, destination: '' }], requests: [] },
      { updates: [], requests: [{ ...request, hopCount: 0 }] },
      { updates: [], requests: [{ ...request, hopCount: 256 }] },
      { updates: [], requests: [{ ...request, seqno: -1 }] },
    ];
    for (const each of bad) expect(() => encodeRouteMessage(each)).toThrow(RangeError);
  });
});
