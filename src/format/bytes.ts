import { IntegrityError } from '../errors.js';

/** Big-endian writer for header fields. Lengths are checked by the caller against format limits. */
export class ByteWriter {
  private readonly parts: Buffer[] = [];
  private length = 0;

  bytes(b: Uint8Array): this {
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.parts.push(buf);
    this.length += buf.length;
    return this;
  }
  u8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(v);
    return this.bytes(b);
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return this.bytes(b);
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    return this.bytes(b);
  }
  u64(v: number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(v));
    return this.bytes(b);
  }
  /** UTF-8 string with a 1-byte length. */
  str8(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.u8(b.length).bytes(b);
  }
  /** UTF-8 string with a 2-byte length. */
  str16(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.u16(b.length).bytes(b);
  }
  /** Opaque bytes with a 2-byte length. */
  bytes16(b: Uint8Array): this {
    return this.u16(b.length).bytes(b);
  }
  get size(): number {
    return this.length;
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

/**
 * Bounds-checked big-endian reader. Every length is checked against a caller-given maximum
 * before anything is sliced, so malformed input never causes large allocations.
 */
export class ByteReader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  private take(n: number, field: string): Buffer {
    if (n > this.remaining) {
      throw new IntegrityError(`${this.what} is truncated or corrupt: field "${field}" runs past its end`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  bytes(n: number, field: string): Buffer {
    return this.take(n, field);
  }
  u8(field: string): number {
    return this.take(1, field).readUInt8(0);
  }
  u16(field: string): number {
    return this.take(2, field).readUInt16BE(0);
  }
  u32(field: string): number {
    return this.take(4, field).readUInt32BE(0);
  }
  u64(field: string): number {
    const v = this.take(8, field).readBigUInt64BE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new IntegrityError(`${this.what} is corrupt: field "${field}" is out of range`);
    }
    return Number(v);
  }
  private checkedLength(len: number, min: number, max: number, field: string): number {
    if (len < min || len > max) {
      throw new IntegrityError(
        `${this.what} is corrupt: field "${field}" has length ${len}, allowed ${min}..${max}`,
      );
    }
    return len;
  }
  str8(field: string, min: number, max: number): string {
    return this.utf8(this.take(this.checkedLength(this.u8(field), min, max, field), field), field);
  }
  str16(field: string, min: number, max: number): string {
    return this.utf8(this.take(this.checkedLength(this.u16(field), min, max, field), field), field);
  }
  bytes16(field: string, min: number, max: number): Buffer {
    return this.take(this.checkedLength(this.u16(field), min, max, field), field);
  }
  private utf8(b: Buffer, field: string): string {
    const s = b.toString('utf8');
    if (!Buffer.from(s, 'utf8').equals(b)) {
      throw new IntegrityError(`${this.what} is corrupt: field "${field}" is not valid UTF-8`);
    }
    return s;
  }
}
