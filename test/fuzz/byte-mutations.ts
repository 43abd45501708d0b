/**
 * Inputs near recorded messages: a recorded message with one to three edits (bits flipped, bytes
 * set to boundary values, cut short, extended, a range deleted, inserted, repeated or overwritten
 * with a piece of another recorded message), and, less often, bytes with no relation to any.
 * Edits keep most of a message's structure, so a parser's deep checks and a verifier's signature
 * or tag checks are reached, not only its first length check.
 */
import fc from 'fast-check';

/**
 * Most cases are edits of recorded messages; random bytes mostly test the first checks; a few are
 * recorded messages unchanged, so an oracle's accepting side is exercised in every run (a
 * verifier that refused everything would fail on them).
 */
const EDITED_WEIGHT = 16;
const RANDOM_WEIGHT = 4;
const VERBATIM_WEIGHT = 1;
/** Random inputs stay short: long random bytes fail the same first check as short ones. */
const RANDOM_MAX_BYTES = 512;
/** A piece inserted, appended or moved: long enough to shift every later field. */
const MAX_PIECE_BYTES = 64;
/** Byte values at the edges of length and type fields. */
const BOUNDARY_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff] as const;

export type ByteEdit =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'repeat'; at: number; length: number }
  | { kind: 'overwrite'; at: number; from: number; fromAt: number; length: number };

const position = fc.nat();
const piece = fc.uint8Array({ minLength: 1, maxLength: MAX_PIECE_BYTES });
const span = fc.integer({ min: 1, max: MAX_PIECE_BYTES });

export const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('set' as const), at: position, value: fc.oneof(fc.constantFrom(...BOUNDARY_BYTES), fc.integer({ min: 0, max: 255 })) }), weight: 2 },
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('append' as const), bytes: piece }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: span }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: piece }),
  fc.record({ kind: fc.constant('repeat' as const), at: position, length: span }),
  fc.record({ kind: fc.constant('overwrite' as const), at: position, from: fc.nat(), fromAt: position, length: span }),
);

/** Applies an edit; positions are taken modulo the current length, so every edit lands somewhere. */
export function applyEdit(bytes: Buffer, edit: ByteEdit, recorded: readonly Uint8Array[]): Buffer {
  const at = (n: number, extra = 0) => n % (bytes.length + extra || 1);
  switch (edit.kind) {
    case 'flip':
    case 'set': {
      if (bytes.length === 0) return bytes;
      const copy = Buffer.from(bytes);
      const index = at(edit.at);
      copy[index] = edit.kind === 'flip' ? copy[index]! ^ edit.mask : edit.value;
      return copy;
    }
    case 'truncate':
      return bytes.subarray(0, at(edit.at));
    case 'append':
      return Buffer.concat([bytes, edit.bytes]);
    case 'delete': {
      const index = at(edit.at);
      return Buffer.concat([bytes.subarray(0, index), bytes.subarray(index + edit.length)]);
    }
    case 'insert': {
      const index = at(edit.at, 1);
      return Buffer.concat([bytes.subarray(0, index), edit.bytes, bytes.subarray(index)]);
    }
    case 'repeat': {
      const index = at(edit.at);
      return Buffer.concat([bytes.subarray(0, index + edit.length), bytes.subarray(index)]);
    }
    case 'overwrite': {
      const source = recorded[edit.from % recorded.length]!;
      if (source.length === 0 || bytes.length === 0) return bytes;
      const from = edit.fromAt % source.length;
      const chunk = source.subarray(from, from + edit.length);
      const copy = Buffer.from(bytes);
      copy.set(chunk.subarray(0, copy.length - at(edit.at)), at(edit.at));
      return copy;
    }
  }
}

/** A recorded message with one to three edits, or random bytes, or now and then a recorded message as it is. */
export function bytesNear(recorded: readonly Uint8Array[], randomMaxBytes = RANDOM_MAX_BYTES): fc.Arbitrary<Uint8Array> {
  if (recorded.length === 0) throw new RangeError('bytesNear needs at least one recorded message');
  const edited = fc
    .tuple(fc.nat({ max: recorded.length - 1 }), fc.array(byteEdit, { minLength: 1, maxLength: 3 }))
    .map(([which, edits]) => edits.reduce<Buffer>((bytes, edit) => applyEdit(bytes, edit, recorded), Buffer.from(recorded[which]!)) as Uint8Array);
  const verbatim = fc.nat({ max: recorded.length - 1 }).map((which) => Uint8Array.from(recorded[which]!));
  return fc.oneof(
    { arbitrary: edited, weight: EDITED_WEIGHT },
    { arbitrary: fc.uint8Array({ maxLength: randomMaxBytes }), weight: RANDOM_WEIGHT },
    { arbitrary: verbatim, weight: VERBATIM_WEIGHT },
  );
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
