/**
 * Reads the auxiliary fields at the start of an RDB or Dragonfly DFS file ("REDIS0012", then
 * 0xFA key value pairs), decoding RDB string encodings: plain length-prefixed strings, integer
 * encodings 0xC0/0xC1/0xC2 (little-endian) and LZF-compressed strings 0xC3. Pure: works on a buffer.
 */
const AUX_OPCODE = 0xfa;

export interface RdbPrologue {
  rdbVersion: number;
  aux: Map<string, string>;
}

export class RdbParseError extends Error {}

class Cursor {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new RdbParseError('truncated');
    return this.buf[this.pos++] as number;
  }
  take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new RdbParseError('truncated');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** RDB length encoding; returns [value, isSpecialEncoding]. */
function readLength(c: Cursor): [number, boolean] {
  const first = c.byte();
  const type = first >> 6;
  if (type === 0) return [first & 0x3f, false];
  if (type === 1) return [((first & 0x3f) << 8) | c.byte(), false];
  if (type === 3) return [first & 0x3f, true];
  if (first === 0x80) return [c.take(4).readUInt32BE(0), false];
  if (first === 0x81) {
    const v = c.take(8).readBigUInt64BE(0);
    if (v > 1n << 32n) throw new RdbParseError('length too large');
    return [Number(v), false];
  }
  throw new RdbParseError(`bad length byte 0x${first.toString(16)}`);
}

function readString(c: Cursor, maxLength: number): string {
  const [len, special] = readLength(c);
  if (!special) {
    if (len > maxLength) throw new RdbParseError('string too long');
    return c.take(len).toString('latin1');
  }
  if (len === 0) return String(c.take(1).readInt8(0));
  if (len === 1) return String(c.take(2).readInt16LE(0));
  if (len === 2) return String(c.take(4).readInt32LE(0));
  if (len === 3) {
    const [clen] = readLength(c);
    const [ulen] = readLength(c);
    if (ulen > maxLength || clen > maxLength) throw new RdbParseError('compressed string too long');
    return lzfDecompress(c.take(clen), ulen).toString('latin1');
  }
  throw new RdbParseError(`unknown string encoding ${len}`);
}

/** LZF decompression (liblzf format used by Redis). */
export function lzfDecompress(input: Buffer, outLength: number): Buffer {
  const out = Buffer.alloc(outLength);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++] as number;
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (op + n > outLength || ip + n > input.length) throw new RdbParseError('bad LZF literal');
      input.copy(out, op, ip, ip + n);
      ip += n;
      op += n;
    } else {
      let len = ctrl >> 5;
      if (len === 7) len += input[ip++] ?? 0;
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - (input[ip++] ?? 0);
      len += 2;
      if (ref < 0 || op + len > outLength) throw new RdbParseError('bad LZF back reference');
      for (let i = 0; i < len; i++) out[op++] = out[ref + i] as number;
    }
  }
  if (op !== outLength) throw new RdbParseError('LZF length mismatch');
  return out;
}

/** Parses the magic and the leading aux fields from the first bytes of a file. */
export function parseRdbPrologue(head: Buffer, maxFields = 32): RdbPrologue {
  if (head.length < 9 || head.subarray(0, 5).toString('latin1') !== 'REDIS') {
    throw new RdbParseError('not an RDB/DFS file (no REDIS magic)');
  }
  const versionText = head.subarray(5, 9).toString('latin1');
  if (!/^\d{4}$/.test(versionText)) throw new RdbParseError('bad RDB version');
  const c = new Cursor(head);
  c.pos = 9;
  const aux = new Map<string, string>();
  for (let i = 0; i < maxFields && c.pos < head.length && head[c.pos] === AUX_OPCODE; i++) {
    c.pos++;
    try {
      const key = readString(c, 4096);
      const value = readString(c, 4096);
      aux.set(key, value);
    } catch (err) {
      // The fields we need come first; a later field cut off by the read window is not an error.
      if (aux.size === 0) throw err;
      break;
    }
  }
  return { rdbVersion: Number(versionText), aux };
}
