/**
 * The byte layer of the post-quantum session's wire format: a writer, and a reader whose every
 * read is bounds-checked against the message and against the field's own limit, so a malformed
 * or hostile message is a SessionWireError naming the field, never an out-of-range read, an
 * oversized allocation or a crash. Integers are big-endian.
 */
export class SessionWireError extends Error {
  override readonly name = 'SessionWireError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export class WireWriter {
  private readonly parts: Buffer[] = [];

  u8(value: number): this {
    this.parts.push(Buffer.from([value]));
    return this;
  }

  u16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    this.parts.push(b);
    return this;
  }

  u32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    this.parts.push(b);
    return this;
  }

  u64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value);
    this.parts.push(b);
    return this;
  }

  fixed(bytes: Uint8Array): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }

  /** A 16-bit length, then the bytes. */
  vector16(bytes: Uint8Array): this {
    if (bytes.length > 0xffff) throw new SessionWireError('vector', `${bytes.length} bytes do not fit a 16-bit length`);
    return this.u16(bytes.length).fixed(bytes);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export class WireReader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  private take(field: string, n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) throw new SessionWireError(field, `needs ${n} bytes, ${this.bytes.length - this.offset} left`);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  u8(field: string): number {
    return this.take(field, 1)[0]!;
  }

  u16(field: string): number {
    const b = this.take(field, 2);
    return (b[0]! << 8) | b[1]!;
  }

  u32(field: string): number {
    return Buffer.from(this.take(field, 4)).readUInt32BE(0);
  }

  u64(field: string): bigint {
    return Buffer.from(this.take(field, 8)).readBigUInt64BE(0);
  }

  fixed(field: string, n: number): Uint8Array {
    return this.take(field, n);
  }

  /** A 16-bit length within [min, max], then that many bytes. */
  vector16(field: string, min: number, max: number): Uint8Array {
    const length = this.u16(`${field} length`);
    if (length < min || length > max) throw new SessionWireError(field, `length ${length} is outside ${min}..${max}`);
    return this.take(field, length);
  }

  /** The bytes read so far (what a signature over a message prefix covers). */
  consumed(): Uint8Array {
    return this.bytes.subarray(0, this.offset);
  }

  end(what: string): void {
    if (this.offset !== this.bytes.length) throw new SessionWireError(what, `${this.bytes.length - this.offset} trailing bytes`);
  }
}
