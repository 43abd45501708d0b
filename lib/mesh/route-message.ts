/**
 * One routing message between neighbours (route-table.ts): route updates, then seqno requests. It
 * travels inside the authenticated peer link, so it carries no signature; what it must survive is a
 * neighbour sending too much or garbage, so it is bounded before it is parsed.
 *
 *   version u8 (1)
 *   | u16 count of updates (0..4,096), each: destination vector16 (SPIFFE ID) | seqno u32 | metric u16
 *   | u16 count of requests (0..4,096), each: destination vector16 (SPIFFE ID) | seqno u32 | hopCount u8 (1..255)
 *
 * Refusals, typed (RouteMessageError.reason): `oversized`, longer than MAX_ROUTE_MESSAGE_BYTES (refused
 * unread) or a count over its cap; `malformed`, anything else that does not parse: an unknown version,
 * a destination that is not a workload's SPIFFE ID, a hop count of 0, trailing bytes.
 */
import { MAX_SPIFFE_ID_BYTES } from '../crypto/node-record.js';
import { WireReader, WireWriter } from '../crypto/wire.js';
import { parseSpiffeId } from '../spiffe/spiffe-id.js';
import { MAX_MEMBERS } from './member-limits.js';
import type { RouteEntry, SeqnoRequest } from './route-table.js';

const MESSAGE_VERSION = 1;
/** A full table: one update per destination, and a table holds at most one destination per member. */
export const MAX_ROUTE_UPDATES = MAX_MEMBERS;
/** A node asks about each destination at most once per message; forwarded ones are coalesced the same way. */
export const MAX_ROUTE_REQUESTS = 4_096;
const UPDATE_FIXED_BYTES = 2 + 4 + 2;
const REQUEST_FIXED_BYTES = 2 + 4 + 1;
/** Every update and request at its cap with the longest SPIFFE ID (about 16 MiB): a message longer than this is refused unread. */
export const MAX_ROUTE_MESSAGE_BYTES =
  1 + 2 + MAX_ROUTE_UPDATES * (UPDATE_FIXED_BYTES + MAX_SPIFFE_ID_BYTES) + 2 + MAX_ROUTE_REQUESTS * (REQUEST_FIXED_BYTES + MAX_SPIFFE_ID_BYTES);

export interface RouteMessage {
  updates: RouteEntry[];
  requests: SeqnoRequest[];
}

export type RouteMessageRefusal = 'oversized' | 'malformed';

export class RouteMessageError extends Error {
  override readonly name = 'RouteMessageError';
  constructor(
    readonly reason: RouteMessageRefusal,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function destinationBytes(destination: string): Buffer {
  const bytes = Buffer.from(destination, 'utf8');
  if (bytes.length === 0 || bytes.length > MAX_SPIFFE_ID_BYTES) throw new RangeError(`a destination of ${bytes.length} bytes is outside 1..${MAX_SPIFFE_ID_BYTES}`);
  return bytes;
}

function checkInteger(value: number, max: number, what: string, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${what} ${value} is outside ${min}..${max}`);
}

/** Throws RangeError for what the decoder would refuse: counts over their caps, fields out of range. */
export function encodeRouteMessage(message: RouteMessage): Buffer {
  checkInteger(message.updates.length, MAX_ROUTE_UPDATES, 'the count of updates');
  checkInteger(message.requests.length, MAX_ROUTE_REQUESTS, 'the count of requests');
  const writer = new WireWriter().u8(MESSAGE_VERSION).u16(message.updates.length);
  for (const { destination, seqno, metric } of message.updates) {
    checkInteger(seqno, 0xffff_ffff, 'seqno');
    checkInteger(metric, 0xffff, 'metric');
    writer.vector16(destinationBytes(destination)).u32(seqno).u16(metric);
  }
  writer.u16(message.requests.length);
  for (const { destination, seqno, hopCount } of message.requests) {
    checkInteger(seqno, 0xffff_ffff, 'seqno');
    checkInteger(hopCount, 0xff, 'hop count', 1);
    writer.vector16(destinationBytes(destination)).u32(seqno).u8(hopCount);
  }
  return writer.finish();
}

function workloadId(reader: WireReader, field: string): string {
  const id = Buffer.from(reader.vector16(field, 1, MAX_SPIFFE_ID_BYTES)).toString('utf8');
  if (parseSpiffeId(id).path === '') throw new RouteMessageError('malformed', `${field} ${id} has no path`);
  return id;
}

function count(reader: WireReader, field: string, max: number): number {
  const value = reader.u16(field);
  if (value > max) throw new RouteMessageError('oversized', `${value} ${field} are over the cap of ${max}`);
  return value;
}

function parse(bytes: Uint8Array): RouteMessage {
  const reader = new WireReader(bytes);
  const version = reader.u8('route.version');
  if (version !== MESSAGE_VERSION) throw new RouteMessageError('malformed', `route message version ${version} is not supported`);
  const updates: RouteEntry[] = [];
  for (let left = count(reader, 'updates', MAX_ROUTE_UPDATES); left > 0; left--) {
    updates.push({ destination: workloadId(reader, 'update.destination'), seqno: reader.u32('update.seqno'), metric: reader.u16('update.metric') });
  }
  const requests: SeqnoRequest[] = [];
  for (let left = count(reader, 'requests', MAX_ROUTE_REQUESTS); left > 0; left--) {
    const destination = workloadId(reader, 'request.destination');
    const seqno = reader.u32('request.seqno');
    const hopCount = reader.u8('request.hopCount');
    if (hopCount === 0) throw new RouteMessageError('malformed', `the request about ${destination} has no hops left`);
    requests.push({ destination, seqno, hopCount });
  }
  reader.end('route message');
  return { updates, requests };
}

export function decodeRouteMessage(bytes: Uint8Array): RouteMessage {
  if (bytes.length > MAX_ROUTE_MESSAGE_BYTES) throw new RouteMessageError('oversized', `a route message of ${bytes.length} bytes is over the ${MAX_ROUTE_MESSAGE_BYTES}-byte cap`);
  try {
    return parse(bytes);
  } catch (error) {
    if (error instanceof RouteMessageError) throw error;
    throw new RouteMessageError('malformed', `the route message does not parse: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
