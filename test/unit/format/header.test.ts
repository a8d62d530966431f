/** Header encoding, its MAC and associated data, and a parser that rejects hostile input early. */
import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/errors.js';
import { PullReader } from '../../../src/format/chunks.js';
import { readHeader } from '../../../src/format/file.js';
import {
  associatedDataOf,
  decodeHeader,
  encodeHeader,
  headerLengthFromPreamble,
  headerMacKey,
  replaceWrappedKeys,
  verifyHeaderMac,
  type Header,
} from '../../../src/format/header.js';
import { MAX_HEADER_LENGTH } from '../../../src/format/limits.js';

const dataKey = Buffer.alloc(32, 7);
const header = (over: Partial<Header> = {}): Header => ({
  version: 1,
  segmentSize: 4096,
  context: { instance: 'cache-1', setId: 'set-ä', fileName: 'dump-0001.dfs', createdAtMs: 1_795_455_601_500 },
  wrappedKeys: [
    { provider: 'local', keyId: 'abcd', blob: Buffer.alloc(60, 1) },
    { provider: 'kms', keyId: 'arn:aws:kms:x', blob: Buffer.alloc(200, 2) },
  ],
  ...over,
});

/** Offset of the key count (B in docs/FORMAT.md) for header(). */
function boundEnd(raw: Buffer): number {
  let p = 26;
  for (let i = 0; i < 3; i++) p += 2 + raw.readUInt16BE(p);
  return p;
}

function expectIntegrity(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(IntegrityError);
  expect((caught as Error).message).toMatch(message);
}

describe('header layout', () => {
  it('puts every field where docs/FORMAT.md says', () => {
    const raw = encodeHeader(header(), dataKey);
    expect(raw.subarray(0, 8).toString('hex')).toBe('5347554152440a1a');
    expect(raw.readUInt16BE(8)).toBe(1);
    expect(raw.readUInt32BE(10)).toBe(raw.length);
    expect(raw.readUInt32BE(14)).toBe(4096);
    expect(Number(raw.readBigUInt64BE(18))).toBe(1_795_455_601_500);
    expect(raw.readUInt16BE(26)).toBe(7);
    expect(raw.subarray(28, 35).toString()).toBe('cache-1');
    expect(raw.readUInt16BE(35)).toBe(Buffer.byteLength('set-ä')); // bytes, not characters
    const b = boundEnd(raw);
    expect(raw[b]).toBe(2);
    expect(raw[b + 1]).toBe(5);
    expect(raw.subarray(b + 2, b + 7).toString()).toBe('local');
  });

  it('round-trips through decodeHeader', () => {
    const h = header();
    const parsed = decodeHeader(encodeHeader(h, dataKey));
    expect(parsed.version).toBe(1);
    expect(parsed.segmentSize).toBe(h.segmentSize);
    expect(parsed.context).toEqual(h.context);
    expect(parsed.wrappedKeys).toEqual(h.wrappedKeys);
  });

  it('has associated data = magic ‖ version ‖ bound fields, without header length or wrapped keys', () => {
    const raw = encodeHeader(header(), dataKey);
    const expected = Buffer.concat([raw.subarray(0, 10), raw.subarray(14, boundEnd(raw))]);
    expect(associatedDataOf(header()).equals(expected)).toBe(true);
    expect(decodeHeader(raw).associatedData.equals(expected)).toBe(true);
    const otherKeys = header({ wrappedKeys: [{ provider: 'vault', keyId: 'k', blob: Buffer.alloc(9) }] });
    expect(associatedDataOf(otherKeys).equals(expected)).toBe(true);
    const otherName = header({ context: { ...header().context, fileName: 'dump-0002.dfs' } });
    expect(associatedDataOf(otherName).equals(expected)).toBe(false);
  });

  it('MACs every header byte with HMAC-SHA256 under HKDF(data key, "", "snapshot-guard v1 header mac")', () => {
    const raw = encodeHeader(header(), dataKey);
    const mk = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'snapshot-guard v1 header mac', 32));
    expect(headerMacKey(dataKey).equals(mk)).toBe(true);
    const mac = createHmac('sha256', mk)
      .update(raw.subarray(0, raw.length - 32))
      .digest();
    expect(raw.subarray(raw.length - 32).equals(mac)).toBe(true);
  });
});

describe('header MAC', () => {
  it('accepts the right data key and rejects any other', () => {
    const parsed = decodeHeader(encodeHeader(header(), dataKey));
    verifyHeaderMac(parsed, dataKey);
    expectIntegrity(() => verifyHeaderMac(parsed, Buffer.alloc(32, 8)), /header authentication failed/);
  });

  it('covers every byte: a flip anywhere is caught by the parser or the MAC', () => {
    const raw = encodeHeader(header(), dataKey);
    for (let i = 0; i < raw.length; i++) {
      const bad = Buffer.from(raw);
      bad[i] = (bad[i] ?? 0) ^ 0x01;
      expect(() => verifyHeaderMac(decodeHeader(bad), dataKey), `byte ${i}`).toThrow(IntegrityError);
    }
  });

  it('rewrap replaces wrapped keys, keeps the associated data, and needs the data key', () => {
    const parsed = decodeHeader(encodeHeader(header(), dataKey));
    const keys = [{ provider: 'vault', keyId: 'transit/snap', blob: Buffer.alloc(90, 3) }];
    const rewrapped = decodeHeader(replaceWrappedKeys(parsed, keys, dataKey));
    expect(rewrapped.wrappedKeys).toEqual(keys);
    expect(rewrapped.raw.length).not.toBe(parsed.raw.length);
    expect(rewrapped.associatedData.equals(parsed.associatedData)).toBe(true);
    verifyHeaderMac(rewrapped, dataKey);
    expectIntegrity(() => replaceWrappedKeys(parsed, keys, Buffer.alloc(32, 9)), /authentication failed/);
  });
});

describe('header encoder refuses what it cannot represent', () => {
  const cases: [string, Partial<Header> | (() => Header), RegExp][] = [
    ['version 2', { version: 2 }, /only version 1/],
    ['segment size 127', { segmentSize: 127 }, /segment size/],
    ['segment size 64 MiB + 1', { segmentSize: 64 * 1024 * 1024 + 1 }, /segment size/],
    ['no wrapped keys', { wrappedKeys: [] }, /wrapped keys/],
    [
      '17 wrapped keys',
      { wrappedKeys: Array.from({ length: 17 }, () => header().wrappedKeys[0]!) },
      /wrapped keys/,
    ],
    [
      'instance of 256 bytes',
      () => ({ ...header(), context: { ...header().context, instance: 'x'.repeat(256) } }),
      /instance/,
    ],
    [
      'file name of 1025 bytes',
      () => ({ ...header(), context: { ...header().context, fileName: 'é'.repeat(513) } }),
      /file name/,
    ],
    [
      'negative creation time',
      () => ({ ...header(), context: { ...header().context, createdAtMs: -1 } }),
      /creation time/,
    ],
    [
      'fractional creation time',
      () => ({ ...header(), context: { ...header().context, createdAtMs: 1.5 } }),
      /creation time/,
    ],
    [
      'lone surrogate',
      () => ({ ...header(), context: { ...header().context, fileName: 'a\uD800b' } }),
      /surrogate/,
    ],
    ['empty provider', { wrappedKeys: [{ provider: '', keyId: '', blob: Buffer.alloc(1) }] }, /provider/],
    [
      'empty blob',
      { wrappedKeys: [{ provider: 'local', keyId: '', blob: Buffer.alloc(0) }] },
      /wrapped key size/,
    ],
    [
      'blob of 8193 bytes',
      { wrappedKeys: [{ provider: 'kms', keyId: '', blob: Buffer.alloc(8193) }] },
      /wrapped key size/,
    ],
    [
      'a header over 64 KiB',
      {
        wrappedKeys: Array.from({ length: 9 }, (_, i) => ({
          provider: 'kms',
          keyId: `k${i}`,
          blob: Buffer.alloc(8000),
        })),
      },
      /64 KiB/,
    ],
    [
      'two copies for one provider and key id',
      {
        wrappedKeys: [
          { provider: 'kms', keyId: 'k', blob: Buffer.alloc(10) },
          { provider: 'kms', keyId: 'k', blob: Buffer.alloc(20) },
        ],
      },
      /two wrapped copies for kms:k/,
    ],
  ];
  it.each(cases)('%s', (_name, over, message) => {
    const h = typeof over === 'function' ? over() : header(over);
    expect(() => encodeHeader(h, dataKey)).toThrow(message);
  });

  it('accepts astral characters (well-formed surrogate pairs)', () => {
    const h = { ...header(), context: { ...header().context, fileName: 'snap-🐉.rdb' } };
    expect(decodeHeader(encodeHeader(h, dataKey)).context.fileName).toBe('snap-🐉.rdb');
  });

  it('refuses a data key that is not 32 bytes', () => {
    expect(() => encodeHeader(header(), Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});

describe('header parser hardening', () => {
  const good = () => encodeHeader(header(), dataKey);
  /** A header with `edit` applied and its header_length kept consistent. */
  const edited = (edit: (b: Buffer) => Buffer): Buffer => {
    const b = edit(good());
    b.writeUInt32BE(b.length, 10);
    return b;
  };

  it('rejects bad magic, unknown versions and out-of-range header lengths from the preamble alone', () => {
    const pre = good().subarray(0, 14);
    const with32 = (v: number) => {
      const p = Buffer.from(pre);
      p.writeUInt32BE(v, 10);
      return p;
    };
    const with16 = (v: number) => {
      const p = Buffer.from(pre);
      p.writeUInt16BE(v, 8);
      return p;
    };
    expectIntegrity(() => headerLengthFromPreamble(Buffer.from('SGUARD\r\n' + 'x'.repeat(6))), /bad magic/);
    expectIntegrity(() => headerLengthFromPreamble(with16(0)), /unsupported format version 0/);
    expectIntegrity(() => headerLengthFromPreamble(with16(2)), /unsupported format version 2/);
    expectIntegrity(() => headerLengthFromPreamble(with32(0xffffffff)), /exceeds the limit/);
    expectIntegrity(() => headerLengthFromPreamble(with32(MAX_HEADER_LENGTH + 1)), /exceeds the limit/);
    expectIntegrity(() => headerLengthFromPreamble(with32(45)), /too small/);
    expect(headerLengthFromPreamble(with32(MAX_HEADER_LENGTH))).toBe(MAX_HEADER_LENGTH);
  });

  it('rejects header length 0xFFFFFFFF without reading (or allocating) anything past the preamble', async () => {
    const pre = Buffer.from(good().subarray(0, 14));
    pre.writeUInt32BE(0xffffffff, 10);
    let pulls = 0;
    async function* source(): AsyncGenerator<Buffer> {
      pulls++;
      yield await Promise.resolve(pre);
      pulls++;
      throw new Error('the reader asked for bytes past the preamble');
    }
    const reader = new PullReader(source());
    await expect(readHeader(reader, 'hostile')).rejects.toThrow(/hostile: header length 4294967295 exceeds/);
    expect(pulls).toBe(1);
  });

  it('rejects a str16 length larger than the whole buffer', () => {
    const b = good();
    b.writeUInt16BE(0xffff, 26); // instance length
    expectIntegrity(() => decodeHeader(b), /field "instance" has length 65535, allowed 0\.\.255/);
    const small = header({ wrappedKeys: [{ provider: 'local', keyId: '', blob: Buffer.alloc(1) }] });
    const c = encodeHeader(small, dataKey);
    expect(c.length).toBeLessThan(255);
    c.writeUInt16BE(255, 26); // allowed by the limit, but runs past the header
    expectIntegrity(() => decodeHeader(c), /field "instance" runs past its end/);
  });

  it('rejects a header shorter or longer than its stated length', () => {
    const b = good();
    expectIntegrity(() => decodeHeader(b.subarray(0, b.length - 1)), /truncated/);
    expectIntegrity(() => decodeHeader(Buffer.concat([b, Buffer.alloc(1)])), /truncated/);
  });

  it('rejects bytes left between the wrapped keys and the MAC', () => {
    const b = edited((raw) =>
      Buffer.concat([raw.subarray(0, raw.length - 32), Buffer.alloc(1), raw.subarray(-32)]),
    );
    expectIntegrity(() => decodeHeader(b), /unexpected bytes before the MAC/);
  });

  it('rejects out-of-range numbers and counts', () => {
    const set = (at: number, write: (b: Buffer) => void) => {
      const b = good();
      write(b);
      return () => decodeHeader(b);
    };
    expectIntegrity(
      set(14, (b) => b.writeUInt32BE(127, 14)),
      /segment size 127 out of range/,
    );
    expectIntegrity(
      set(14, (b) => b.writeUInt32BE(64 * 1024 * 1024 + 1, 14)),
      /segment size/,
    );
    expectIntegrity(
      set(18, (b) => b.writeBigUInt64BE(2n ** 53n, 18)),
      /"created at" is out of range/,
    );
    const b = good();
    const count = boundEnd(b);
    expectIntegrity(
      set(count, (x) => (x[count] = 0)),
      /0 wrapped keys/,
    );
    expectIntegrity(
      set(count, (x) => (x[count] = 17)),
      /17 wrapped keys/,
    );
    expectIntegrity(
      set(count, (x) => (x[count + 1] = 0)),
      /"provider" has length 0/,
    );
    expectIntegrity(
      set(count, (x) => (x[count + 1] = 33)),
      /"provider" has length 33/,
    );
    const keyIdAt = count + 2 + 5;
    expectIntegrity(
      set(count, (x) => x.writeUInt16BE(2049, keyIdAt)),
      /"key id" has length 2049/,
    );
    const blobAt = keyIdAt + 2 + 4;
    expectIntegrity(
      set(count, (x) => x.writeUInt16BE(0, blobAt)),
      /"wrapped key" has length 0/,
    );
    expectIntegrity(
      set(count, (x) => x.writeUInt16BE(8193, blobAt)),
      /"wrapped key" has length 8193/,
    );
  });

  it.each([
    ['a 0xff byte', Buffer.from([0xff])],
    ['an overlong "/"', Buffer.from([0xc0, 0xaf])],
    ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ['a truncated sequence', Buffer.from([0xe2, 0x82])],
  ])('rejects invalid UTF-8: %s', (_name, bytes) => {
    const b = edited((raw) => {
      // Replace the instance "cache-1" with the bad bytes.
      const out = Buffer.concat([
        raw.subarray(0, 26),
        Buffer.from([0, bytes.length]),
        bytes,
        raw.subarray(35),
      ]);
      return out;
    });
    expectIntegrity(() => decodeHeader(b), /"instance" is not valid UTF-8/);
  });
});
