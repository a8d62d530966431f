/** The Tink AES-GCM-HKDF streaming payload: framing, lengths, streaming behaviour and rejection. */
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/errors.js';
import { PullReader } from '../../../src/format/chunks.js';
import {
  decryptPayload,
  deriveFileKey,
  encryptPayload,
  payloadLengthFor,
  plaintextLengthFor,
  plaintextSegmentLength,
} from '../../../src/format/payload.js';
import { chunksBySizes, chunksOf, collect } from '../../helpers/format.js';

const dataKey = Buffer.alloc(32, 0x11);
const associatedData = Buffer.from('bound header fields');
const salt = Buffer.alloc(32, 0x22);
const noncePrefix = Buffer.from('01020304050607', 'hex');
const params = (segmentSize: number) => ({ dataKey, associatedData, segmentSize });

const encrypt = (pt: Buffer, segmentSize: number, chunk = 1000) =>
  collect(encryptPayload(chunksOf(pt, chunk), params(segmentSize), { salt, noncePrefix }));
const decrypt = (ct: Buffer, segmentSize: number, chunk = 1000) =>
  collect(decryptPayload(new PullReader(chunksOf(ct, chunk)), params(segmentSize)));

describe('payload framing', () => {
  it('derives the file key as HKDF-SHA256(data key, salt, associated data)', () => {
    const expected = Buffer.from(hkdfSync('sha256', dataKey, salt, associatedData, 32));
    expect(deriveFileKey(dataKey, salt, associatedData).equals(expected)).toBe(true);
    expect(() => deriveFileKey(Buffer.alloc(16), salt, associatedData)).toThrow(/32 bytes/);
  });

  it('matches an independent construction: stream header, segment sizes, nonce = prefix ‖ u32 index ‖ last', async () => {
    const S = 256;
    const pt = randomBytes(200 + 240 + 17);
    const ct = await encrypt(pt, S);
    const key = Buffer.from(hkdfSync('sha256', dataKey, salt, associatedData, 32));
    const seal = (m: Buffer, i: number, last: boolean) => {
      const nonce = Buffer.concat([noncePrefix, Buffer.from([0, 0, 0, i, last ? 1 : 0])]);
      const c = createCipheriv('aes-256-gcm', key, nonce);
      return Buffer.concat([c.update(m), c.final(), c.getAuthTag()]);
    };
    const expected = Buffer.concat([
      Buffer.from([40]),
      salt,
      noncePrefix,
      seal(pt.subarray(0, 200), 0, false),
      seal(pt.subarray(200, 440), 1, false),
      seal(pt.subarray(440), 2, true),
    ]);
    expect(ct.equals(expected)).toBe(true);
    // Segment 1 starts at payload offset S, segment 2 at 2S.
    expect(ct.subarray(S, S + 256).equals(seal(pt.subarray(200, 440), 1, false))).toBe(true);
  });

  it('encrypts the empty plaintext as one segment holding only a tag', async () => {
    const ct = await encrypt(Buffer.alloc(0), 256);
    expect(ct.length).toBe(40 + 16);
    expect((await decrypt(ct, 256)).length).toBe(0);
  });

  it('makes the last segment full, not empty, when the plaintext fills its segments exactly', async () => {
    const ct = await encrypt(randomBytes(200 + 240), 256);
    expect(ct.length).toBe(40 + 200 + 240 + 2 * 16);
  });

  it('gives the same bytes however the plaintext is chunked, and decrypts however the ciphertext is chunked', async () => {
    const pt = randomBytes(3000);
    const whole = await encrypt(pt, 300, 3000);
    for (const sizes of [[1], [7, 300, 1], [299, 301], [5000]]) {
      const ct = await collect(encryptPayload(chunksBySizes(pt, sizes), params(300), { salt, noncePrefix }));
      expect(ct.equals(whole), `chunks ${sizes.join(',')}`).toBe(true);
      const back = await collect(decryptPayload(new PullReader(chunksBySizes(ct, sizes)), params(300)));
      expect(back.equals(pt)).toBe(true);
    }
  });

  it('uses a fresh random salt and nonce prefix for every encryption', async () => {
    const pt = Buffer.from('same plaintext');
    const a = await collect(encryptPayload(chunksOf(pt, 100), params(256)));
    const b = await collect(encryptPayload(chunksOf(pt, 100), params(256)));
    expect(a.subarray(1, 40).equals(b.subarray(1, 40))).toBe(false);
    expect((await decrypt(a, 256)).equals(pt)).toBe(true);
  });

  it('refuses randomness of the wrong size', async () => {
    const gen = encryptPayload(chunksOf(Buffer.alloc(1), 1), params(256), {
      salt: Buffer.alloc(31),
      noncePrefix,
    });
    await expect(collect(gen)).rejects.toThrow(/bad randomness/);
  });
});

describe('payload lengths', () => {
  it.each([128, 256, 1000])(
    'payloadLengthFor / plaintextLengthFor agree with real output at segment size %i',
    async (S) => {
      for (let n = 0; n <= 3 * S; n += n < 2 * S ? 1 : 7) {
        const len = payloadLengthFor(n, S);
        expect(plaintextLengthFor(len, S), `n=${n}`).toBe(n);
        if (n % 37 === 0 || n === S - 56 || n === S - 55)
          expect((await encrypt(Buffer.alloc(n), S)).length).toBe(len);
      }
    },
  );

  it('knows which payload lengths no plaintext can have', () => {
    expect(plaintextLengthFor(0, 256)).toBeUndefined();
    expect(plaintextLengthFor(40 + 15, 256)).toBeUndefined();
    for (let tail = 1; tail < 16; tail++) expect(plaintextLengthFor(256 + tail, 256)).toBeUndefined();
    expect(plaintextSegmentLength(256, 0)).toBe(200);
    expect(plaintextSegmentLength(256, 1)).toBe(240);
  });
});

describe('payload streaming', () => {
  it('encrypts and decrypts with bounded look-ahead (one segment and one byte)', async () => {
    const S = 256;
    const pt = randomBytes(100 * S);
    let pulled = 0;
    async function* counting(buf: Buffer): AsyncGenerator<Buffer> {
      for await (const chunk of chunksOf(buf, 64)) {
        pulled += chunk.length;
        yield chunk;
      }
    }
    let outBefore = -1;
    for await (const out of encryptPayload(counting(pt), params(S), { salt, noncePrefix })) {
      if (out.length > 40) {
        outBefore = pulled;
        break;
      }
    }
    expect(outBefore).toBeGreaterThan(0);
    expect(outBefore).toBeLessThanOrEqual(2 * S);
    const ct = await encrypt(pt, S);
    pulled = 0;
    const reader = new PullReader(counting(ct));
    const gen = decryptPayload(reader, params(S));
    const first = await gen.next();
    expect(first.done).toBe(false);
    expect(pulled).toBeLessThanOrEqual(2 * S + 64);
    await gen.return(undefined);
    await reader.close();
  });
});

describe('payload rejection', () => {
  const S = 256;
  const pt = randomBytes(200 + 240 * 2 + 100);

  async function rejection(ct: Buffer): Promise<Error> {
    const err = await decrypt(ct, S, 53).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IntegrityError);
    return err as Error;
  }

  it('rejects a flipped bit in every byte of a segment, naming the segment', async () => {
    const ct = await encrypt(pt, S);
    for (const [at, seg] of [
      [40, 0],
      [S - 1, 0],
      [S, 1],
      [2 * S + 100, 2],
      [ct.length - 1, 3],
    ] as const) {
      const bad = Buffer.from(ct);
      bad[at] = (bad[at] ?? 0) ^ 0x80;
      expect((await rejection(bad)).message).toMatch(new RegExp(`segment ${seg}\\b`));
    }
  });

  it('rejects truncation at every segment boundary and inside segments', async () => {
    const ct = await encrypt(pt, S);
    for (const cut of [0, 39, 40, 41, 55, S, S + 1, 2 * S, 3 * S, 3 * S + 15, ct.length - 1]) {
      await rejection(ct.subarray(0, cut));
    }
  });

  it('rejects swapped, duplicated and dropped segments, and appended bytes', async () => {
    const ct = await encrypt(pt, S);
    const seg = (i: number) => ct.subarray(i * S, (i + 1) * S);
    const head = ct.subarray(0, S);
    const tail = ct.subarray(3 * S);
    await rejection(Buffer.concat([head, seg(2), seg(1), tail]));
    await rejection(Buffer.concat([head, seg(1), seg(1), tail]));
    await rejection(Buffer.concat([head, seg(1), tail]));
    await rejection(Buffer.concat([ct, Buffer.alloc(1)]));
    await rejection(Buffer.concat([ct, Buffer.alloc(16)]));
  });

  it('rejects a segment taken from another file under the same data key', async () => {
    const a = await encrypt(pt, S);
    const b = await collect(
      encryptPayload(chunksOf(pt, 1000), params(S), { salt: Buffer.alloc(32, 0x23), noncePrefix }),
    );
    expect(
      (await rejection(Buffer.concat([a.subarray(0, S), b.subarray(S, 2 * S), a.subarray(2 * S)]))).message,
    ).toMatch(/segment 1/);
  });

  it('rejects another associated data, data key or segment size', async () => {
    const ct = await encrypt(pt, S);
    const other = async (p: { dataKey: Buffer; associatedData: Buffer; segmentSize: number }) =>
      collect(decryptPayload(new PullReader(chunksOf(ct, 100)), p));
    await expect(other({ ...params(S), associatedData: Buffer.from('other') })).rejects.toThrow(
      IntegrityError,
    );
    await expect(other({ ...params(S), dataKey: Buffer.alloc(32, 0x12) })).rejects.toThrow(IntegrityError);
    await expect(other({ ...params(S), segmentSize: S + 1 })).rejects.toThrow(IntegrityError);
  });

  it('rejects a stream header whose length byte is not 40', async () => {
    const ct = await encrypt(pt, S);
    const bad = Buffer.from(ct);
    bad[0] = 24;
    expect((await rejection(bad)).message).toMatch(/corrupt payload header/);
  });

  it('releases each segment only after its own tag verified, and fails at the first bad one', async () => {
    const ct = await encrypt(pt, S);
    const bad = Buffer.from(ct);
    bad[2 * S + 5] = (bad[2 * S + 5] ?? 0) ^ 1;
    const released: Buffer[] = [];
    const gen = decryptPayload(new PullReader(chunksOf(bad, 100)), params(S));
    await expect(
      (async () => {
        for await (const c of gen) released.push(c);
      })(),
    ).rejects.toThrow(/segment 2/);
    expect(Buffer.concat(released).equals(pt.subarray(0, 440))).toBe(true);
  });
});
