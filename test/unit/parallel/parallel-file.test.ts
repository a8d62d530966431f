/**
 * The multi-threaded file path must write exactly the bytes of the streaming encoder (same randomness)
 * and reject exactly what the streaming decoder rejects, for every way a file can end relative to its
 * segments and batches. Runs the per-thread ranges inline; test/cli/threads.test.ts runs real threads.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/errors.js';
import { encryptFile } from '../../../src/format/file.js';
import type { Header } from '../../../src/format/header.js';
import { readHeaderAt } from '../../../src/files/encrypted-file.js';
import { decryptPathParallel, encryptPathParallel } from '../../../src/parallel/parallel-file.js';
import { chunksOf, collect } from '../../helpers/format.js';

const SEGMENT = 256; // plaintext: 200 bytes in segment 0, 240 in the others
const dataKey = randomBytes(32);
const randomness = { salt: randomBytes(32), noncePrefix: randomBytes(7) };
const context = { instance: 'test', setId: 'set-1', fileName: 'dump.rdb', createdAtMs: 1_795_455_601_500 };
const wrappedKeys = [{ provider: 'local', keyId: 'abcd', blob: Buffer.alloc(60, 1) }];
const header: Header = { version: 1, segmentSize: SEGMENT, context, wrappedKeys };
const target = { context, dataKey, wrappedKeys, segmentSize: SEGMENT };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-parallel-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sealParallel(plain: Buffer, threads: number, name: string): Promise<string> {
  const input = join(dir, `${name}.plain`);
  const output = join(dir, `${name}.sg`);
  await writeFile(input, plain);
  await encryptPathParallel(input, output, target, { threads, inline: true, randomness });
  return output;
}

async function openParallel(path: string, threads: number, key = dataKey): Promise<Buffer> {
  const out = `${path}.out`;
  const header = await readHeaderAt(path);
  await rm(out, { force: true });
  try {
    const n = await decryptPathParallel(path, header, key, out, { threads, inline: true, what: 'x' });
    const back = await readFile(out);
    expect(back.length).toBe(n);
    return back;
  } catch (err) {
    // Nothing may be left behind after a failure.
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
    throw err;
  }
}

// Empty, one byte, around the end of segment 0 (200), of segment 1 (440), of a 16-segment batch
// (4 MiB / 256 B is a batch of 16384 segments: several batches need a bigger file), and ragged sizes.
const SIZES = [0, 1, 199, 200, 201, 439, 440, 441, 200 + 240 * 7, 200 + 240 * 7 + 3, 10_001];

describe('parallel file path', () => {
  for (const threads of [1, 2, 3]) {
    it(`with ${threads} range(s): byte-identical to the streaming encoder, and round-trips`, async () => {
      for (const size of SIZES) {
        const plain = randomBytes(size);
        const sealed = await sealParallel(plain, threads, `t${threads}-${size}`);
        const streaming = await collect(encryptFile(chunksOf(plain, 97), header, dataKey, randomness));
        expect((await readFile(sealed)).equals(streaming), `size ${size}`).toBe(true);
        expect((await openParallel(sealed, threads)).equals(plain), `size ${size}`).toBe(true);
      }
    });
  }

  it('to a descriptor without offsets (stdout): the same bytes, batches in order', async () => {
    const plain = randomBytes(2 * 4 * 1024 * 1024 + 999); // several 1 MiB batches of 64 KiB segments
    const input = join(dir, 'ordered.plain');
    await writeFile(input, plain);
    const big = { ...target, segmentSize: 64 * 1024 };
    const out = join(dir, 'ordered.sg');
    const fh = await open(out, 'w'); // written at its current offset, as a pipe would be
    try {
      await encryptPathParallel(input, { fd: fh.fd }, big, { threads: 2, inline: true, randomness });
    } finally {
      await fh.close();
    }
    const streaming = await collect(
      encryptFile(chunksOf(plain, 1 << 20), { ...header, segmentSize: 64 * 1024 }, dataKey, randomness),
    );
    expect((await readFile(out)).equals(streaming)).toBe(true);
  });

  it('splits several batches between threads (file larger than one 4 MiB batch per thread)', async () => {
    const plain = randomBytes(3 * 4 * 1024 * 1024 + 12_345);
    const input = join(dir, 'big.plain');
    const output = join(dir, 'big.sg');
    await writeFile(input, plain);
    const big = { ...target, segmentSize: 64 * 1024 };
    await encryptPathParallel(input, output, big, { threads: 2, inline: true, randomness });
    const streaming = await collect(
      encryptFile(chunksOf(plain, 1 << 20), { ...header, segmentSize: 64 * 1024 }, dataKey, randomness),
    );
    expect((await readFile(output)).equals(streaming)).toBe(true);
    expect((await openParallel(output, 3)).equals(plain)).toBe(true);
  });

  it('refuses a flipped bit in any segment, naming it, and leaves no output', async () => {
    const plain = randomBytes(200 + 240 * 5 + 10);
    const sealed = await sealParallel(plain, 2, 'flip');
    const good = await readFile(sealed);
    const payloadStart = (await readHeaderAt(sealed)).raw.length;
    for (const [segment, offset] of [
      [0, payloadStart + 40 + 5],
      [3, payloadStart + 3 * SEGMENT + 100],
      [6, good.length - 1], // the last tag
    ] as const) {
      const bad = Buffer.from(good);
      bad[offset] = (bad[offset] ?? 0) ^ 0x01;
      await writeFile(sealed, bad);
      await expect(openParallel(sealed, 2)).rejects.toThrow(
        new RegExp(`authentication failed in segment ${segment}`),
      );
    }
  });

  it('refuses truncation at a segment boundary and inside a tag, and a wrong data key', async () => {
    const plain = randomBytes(200 + 240 * 4);
    const sealed = await sealParallel(plain, 2, 'cut');
    const length = (await stat(sealed)).size;
    const copy = join(dir, 'cut-copy.sg');
    await writeFile(copy, await readFile(sealed));
    await truncate(copy, length - SEGMENT); // drops the last segment exactly
    await expect(openParallel(copy, 2)).rejects.toThrow(/authentication failed in segment 3/);
    await writeFile(copy, await readFile(sealed));
    await truncate(copy, length - SEGMENT + 10); // leaves 10 bytes of a segment: shorter than a tag
    await expect(openParallel(copy, 2)).rejects.toThrow(/its length fits no payload/);
    await expect(openParallel(sealed, 2, randomBytes(32))).rejects.toBeInstanceOf(IntegrityError);
    expect((await readdir(dir)).filter((n) => n.startsWith('cut') && n.endsWith('.out'))).toEqual([]);
  });
});
