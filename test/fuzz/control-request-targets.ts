/**
 * Requests on the node's control socket (actors/runtime/ops/control-server.ts), sent over a real
 * unix socket to a real control server whose handler echoes what it was asked. The socket has no
 * authentication beyond its file mode, so the oracle is the protocol's: every non-blank line gets
 * exactly one response, which the CLI's response schema accepts; a line that is a request (an
 * object of id, method and optional params, id a string or a safe integer, method non-empty,
 * decided here independently of the server's schema) reaches the handler with exactly its method
 * and params and is answered under its id; any other line is answered with a
 * ProtocolViolationError (under its id when the client can read that id back, else null) and the
 * connection stays usable; a line longer than MAX_REQUEST_LINE_BYTES is refused and closes it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { controlResponseSchema, MAX_REQUEST_LINE_BYTES, startControlServer, type ControlResponse } from '../../actors/runtime/ops/control-server.js';
import { hex } from './byte-mutations.js';
import { FuzzFinding } from './fuzz-finding.js';
import { asyncFuzzTarget, type FuzzSuite } from './fuzz-target.js';
import { LineClient } from './line-client.js';
import { mustEqual, mustHold } from './oracles.js';
import { textNear } from './text-mutations.js';

export const CONTROL_TARGETS = ['control-request'] as const;

const NEWLINE = 0x0a;
/** Lines at the size limit are rare in the mix: each is a megabyte on the socket. */
const BOUNDARY_WEIGHT = 1;
const OTHER_WEIGHT = 2_000;

const RECORDED = ['{"id":1,"method":"status","params":{}}', '{"id":"a-7","method":"crash","params":{"actorId":"monitor","kind":"throw"}}', '{"id":2,"method":"incidents"}', '{"id":3,"method":"stop","params":null}'];

const idValue = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.double(), fc.constantFrom(2 ** 53, -(2 ** 53), 1e20, -0, 1.5, null, true), fc.constant({}), fc.constant([]));
const methodValue = fc.oneof(fc.constantFrom('status', 'stop', 'crash', ''), fc.string({ maxLength: 12 }), fc.integer(), fc.constant(null));
const requestObjects = fc
  .record({ id: idValue, method: methodValue, params: fc.jsonValue({ maxDepth: 3 }), extra: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] })
  .map((request) => JSON.stringify(request));

/** Lines of exactly the limit (answered) and one byte past it (refused, connection closed). */
const boundaryLines = fc.constantFrom(MAX_REQUEST_LINE_BYTES, MAX_REQUEST_LINE_BYTES + 1).map((size) => {
  const prefix = '{"id":9,"method":"status","params":"';
  const suffix = '"}';
  return Buffer.from(prefix + 'x'.repeat(size - prefix.length - suffix.length) + suffix);
});

const lines: fc.Arbitrary<Buffer> = fc
  .oneof(
    { arbitrary: fc.oneof(textNear(RECORDED).map((text) => Buffer.from(text)), requestObjects.map((text) => Buffer.from(text)), fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes))), weight: OTHER_WEIGHT },
    { arbitrary: boundaryLines, weight: BOUNDARY_WEIGHT },
  )
  // One line per case: a newline inside would make it two requests.
  .map((bytes) => Buffer.from(bytes.filter((byte) => byte !== NEWLINE)));

type Json = ReturnType<typeof JSON.parse>;

/** The protocol's request shape, decided without the server's schema. */
function isRequest(json: Json): json is { id: string | number; method: string; params?: Json } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  if (!Object.keys(json).every((key) => key === 'id' || key === 'method' || key === 'params')) return false;
  const { id, method } = json as { id?: unknown; method?: unknown };
  return (typeof id === 'string' || Number.isSafeInteger(id)) && typeof method === 'string' && method.length > 0;
}

function readableId(json: Json): string | number | null {
  const id = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  return typeof id === 'string' || Number.isSafeInteger(id) ? (id as string | number) : null;
}

export async function controlTargets(): Promise<FuzzSuite> {
  const dir = await mkdtemp(join(tmpdir(), 'x0tta6bl4-fuzz-control-'));
  const socketPath = join(dir, 'control.sock');
  const server = await startControlServer({ socketPath, handle: async (method, params) => ({ method, params }) });
  const sentinelId = `fuzz-sentinel-${randomBytes(8).toString('hex')}`;
  const sentinel = Buffer.from(`${JSON.stringify({ id: sentinelId, method: 'sentinel' })}\n`);
  let client: LineClient | undefined;

  /** The responses to one line: everything before the sentinel's answer, or before the server closed. */
  const exchange = async (line: Buffer): Promise<{ responses: string[]; closed: boolean }> => {
    if (!client || client.closed) client = await LineClient.connect(socketPath);
    client.send(Buffer.concat([line, Buffer.from([NEWLINE]), sentinel]));
    const responses: string[] = [];
    for (;;) {
      const response = await client.next();
      if (response === undefined) return { responses, closed: true };
      if (response.includes(sentinelId)) return { responses, closed: false };
      responses.push(response);
    }
  };

  const judge = async (line: Buffer): Promise<string> => {
    const { responses, closed } = await exchange(line);
    const parsed = responses.map((text) => {
      const result = controlResponseSchema.safeParse(JSON.parse(text));
      if (!result.success) throw new FuzzFinding('invariant-broken', `a response the CLI cannot read: ${text.slice(0, 300)}`);
      return result.data;
    });
    if (line.length > MAX_REQUEST_LINE_BYTES) {
      mustHold(closed && parsed.length === 1 && 'error' in parsed[0]! && parsed[0].error.name === 'ProtocolViolationError' && parsed[0].id === null, `an oversized line got ${responses.length} responses, connection ${closed ? 'closed' : 'open'}`);
      return 'refused: oversized, connection closed';
    }
    mustHold(!closed, 'the server closed the connection on a line within the size limit');
    const text = line.toString('utf8');
    if (text.trim() === '') {
      mustEqual(responses, [], 'the responses to a blank line');
      return 'blank line, no response';
    }
    mustHold(parsed.length === 1, `${parsed.length} responses to one line`);
    const response = parsed[0] as ControlResponse;
    let json: Json;
    let isJson = true;
    try {
      json = JSON.parse(text);
    } catch {
      isJson = false;
    }
    if (isJson && isRequest(json)) {
      mustEqual(response, { id: json.id, result: JSON.parse(JSON.stringify({ method: json.method, params: json.params })) }, 'the answer to a request');
      return 'accepted';
    } else {
      mustHold('error' in response && response.error.name === 'ProtocolViolationError', `a line that is not a request was answered ${JSON.stringify(response).slice(0, 200)}`);
      mustEqual(response.id, isJson ? readableId(json) : null, 'the id a refused line was answered under');
      return `refused: ProtocolViolationError (${isJson ? 'not a request' : 'not JSON'})`;
    }
  };

  const show = (line: Buffer) => (line.length > 200 ? `${line.length} bytes: ${hex(line.subarray(0, 100))}…` : JSON.stringify(line.toString('latin1')));
  const target = asyncFuzzTarget('control-request', lines, judge, show);
  return {
    targets: [target],
    async close() {
      client?.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
