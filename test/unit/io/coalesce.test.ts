/** Pieces of any sizes become chunks of exactly the given size (the last one shorter), bytes unchanged. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { coalesce } from '../../../src/io/coalesce.js';

async function* piecesOf(bytes: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    yield await Promise.resolve(new Uint8Array(bytes.subarray(at, at + n))); // a plain Uint8Array
    at += n;
  }
}

async function chunks(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of source) out.push(Buffer.from(c)); // copies: a chunk must stay valid once handed on
  return out;
}

describe('coalesce', () => {
  for (const [label, total, sizes] of [
    ['small pieces', 10_000, [7, 300, 1, 4096]],
    ['pieces larger than a chunk', 10_000, [2500, 3333]],
    ['an exact multiple', 4096, [512]],
    ['one byte', 1, [1]],
  ] as const) {
    it(`${label}: chunks of 1024 bytes, the last shorter, the bytes as given`, async () => {
      const bytes = randomBytes(total);
      const got = await chunks(coalesce(piecesOf(bytes, [...sizes]), 1024));
      expect(Buffer.concat(got).equals(bytes)).toBe(true);
      expect(got.slice(0, -1).every((c) => c.length === 1024)).toBe(true);
      expect(got.at(-1)!.length).toBe(total % 1024 || 1024);
    });
  }

  it('nothing in, nothing out', async () => {
    expect(await chunks(coalesce(piecesOf(Buffer.alloc(0), [1]), 1024))).toEqual([]);
  });
});
