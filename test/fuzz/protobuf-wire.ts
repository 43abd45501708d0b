/**
 * Protocol-buffer wire bytes built field by field: any field number and wire type (the invalid
 * ones 3, 4, 6, 7 included), varints up to 2^64 and beyond, length-delimited fields holding
 * nested messages, UTF-8 text (past a parser's length limits) or raw bytes. Random bytes almost
 * never decode as protobuf; these do, so a decoder's checks on field values are what gets tested.
 */
import fc from 'fast-check';

export type WireField =
  | { field: number; type: 'varint'; value: bigint }
  | { field: number; type: 'fixed64'; value: bigint }
  | { field: number; type: 'fixed32'; value: number }
  | { field: number; type: 'bytes'; value: Uint8Array }
  | { field: number; type: 'message'; value: WireField[] }
  | { field: number; type: 'invalid'; wireType: 3 | 4 | 6 | 7 };

/** Values at the edges of what uint32, uint64 and JavaScript numbers hold. */
const BOUNDARY_VARINTS = [0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];

export function wireMessage(options: { maxField: number; maxDepth: number; maxText: number }): fc.Arbitrary<WireField[]> {
  const field = fc.integer({ min: 1, max: options.maxField });
  const leaf: fc.Arbitrary<WireField> = fc.oneof(
    fc.record({ field, type: fc.constant('varint' as const), value: fc.oneof(fc.constantFrom(...BOUNDARY_VARINTS), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })) }),
    fc.record({ field, type: fc.constant('fixed64' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
    fc.record({ field, type: fc.constant('fixed32' as const), value: fc.nat() }),
    fc.record({ field, type: fc.constant('bytes' as const), value: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ maxLength: options.maxText, unit: 'grapheme' }).map((text) => new Uint8Array(Buffer.from(text)))) }),
    fc.record({ field, type: fc.constant('invalid' as const), wireType: fc.constantFrom(3 as const, 4 as const, 6 as const, 7 as const) }),
  );
  const { message } = fc.letrec<{ message: WireField[]; item: WireField }>((tie) => ({
    item: fc.oneof({ depthSize: 'small', maxDepth: options.maxDepth }, leaf, fc.record({ field, type: fc.constant('message' as const), value: tie('message') })),
    message: fc.array(tie('item'), { maxLength: 5 }),
  }));
  return message;
}

function varint(value: bigint): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) byte |= 0x80;
    out.push(byte);
  } while (rest > 0n);
  return out;
}

export function encodeWire(fields: readonly WireField[]): Uint8Array {
  const out: number[] = [];
  for (const item of fields) {
    const tag = (wireType: number) => out.push(...varint((BigInt(item.field) << 3n) | BigInt(wireType)));
    switch (item.type) {
      case 'varint':
        tag(0);
        out.push(...varint(item.value));
        break;
      case 'fixed64': {
        tag(1);
        const bytes = Buffer.alloc(8);
        bytes.writeBigUInt64LE(item.value);
        out.push(...bytes);
        break;
      }
      case 'fixed32': {
        tag(5);
        const bytes = Buffer.alloc(4);
        bytes.writeUInt32LE(item.value >>> 0);
        out.push(...bytes);
        break;
      }
      case 'bytes':
      case 'message': {
        tag(2);
        const body = item.type === 'bytes' ? item.value : encodeWire(item.value);
        out.push(...varint(BigInt(body.length)), ...body);
        break;
      }
      case 'invalid':
        tag(item.wireType);
        break;
    }
  }
  return new Uint8Array(out);
}
