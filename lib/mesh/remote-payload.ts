/**
 * A peer's message payload, from the bytes an authenticated peer sent to the value the bus
 * carries. Its size is bounded by the frame codec; its structure is bounded here, before
 * JSON.parse builds anything: a payload nested 20,000 deep is 40 KB of JSON that parses fine,
 * but the structured clone that carries it to another thread recurses once per level and throws
 * RangeError (stack exhausted) where nobody catches it, which killed the peer-link worker. The
 * depth is counted in one pass over the bytes, so a hostile payload costs linear time and no
 * allocation before it is refused.
 */

/**
 * Nesting allowed in a remote payload. Mesh messages (records, routes, votes, model updates) are
 * flat or nest a few levels; 64 leaves room for any of them and is far below what a clone or
 * JSON.stringify of the value can recurse through.
 */
export const MAX_REMOTE_PAYLOAD_DEPTH = 64;

export const REMOTE_PAYLOAD_REJECTIONS = ['not-json', 'too-deep'] as const;
export type RemotePayloadRejection = (typeof REMOTE_PAYLOAD_REJECTIONS)[number];

export class RemotePayloadError extends Error {
  override readonly name = 'RemotePayloadError';
  constructor(
    readonly reason: RemotePayloadRejection,
    detail: string,
  ) {
    super(`remote payload refused (${reason}): ${detail}`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * The deepest nesting of objects and arrays in `bytes`, read as JSON text, stopping as soon as it
 * passes `limit`. Structural characters are ASCII and no byte of a multi-byte UTF-8 sequence is,
 * so scanning bytes is scanning characters. Brackets inside strings are skipped; whether the text
 * is valid JSON is JSON.parse's question, asked after this one.
 */
export function nestingDepth(bytes: Uint8Array, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return deepest;
}

/** The JSON value in `bytes`, or RemotePayloadError: nested deeper than `maxDepth`, or not JSON. */
export function parseRemotePayload(bytes: Uint8Array, maxDepth: number = MAX_REMOTE_PAYLOAD_DEPTH): unknown {
  if (nestingDepth(bytes, maxDepth) > maxDepth) throw new RemotePayloadError('too-deep', `nested deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new RemotePayloadError('not-json', error instanceof Error ? error.message : String(error));
  }
}
