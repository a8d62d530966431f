/**
 * Reading files in chunks (io/durable.ts): a small file costs a buffer of its size, not a whole chunk
 * (a daemon sealing thousands of small snapshots allocated 4 MiB per read), and every byte still
 * arrives whatever the sizes and the starting offset.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { READ_CHUNK, readChunks } from '../../../src/io/durable.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function fileOf(bytes: Buffer): Promise<string> {
  dir ??= await mkdtemp(join(tmpdir(), 'sg-read-'));
  const path = join(dir, `f-${bytes.length}`);
  await writeFile(path, bytes);
  return path;
}

async function readAll(path: string, chunk?: number, start?: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of readChunks(path, chunk, start)) out.push(c);
  return out;
}

describe('readChunks', () => {
  it('reads a 10 KB file into one buffer of about its size, not a 4 MiB chunk', async () => {
    const bytes = randomBytes(10_000);
    const chunks = await readAll(await fileOf(bytes));
    expect(chunks).toHaveLength(1);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    expect(chunks[0]?.buffer.byteLength).toBeLessThanOrEqual(64 * 1024);
    expect(READ_CHUNK).toBeGreaterThan(1024 * 1024);
  });

  it.each([
    [0, 1000, 0],
    [1, 1000, 0],
    [999, 1000, 0],
    [1000, 1000, 0],
    [1001, 1000, 0],
    [5000, 1000, 1500],
    [5000, 1000, 5000],
    [5000, 1000, 6000],
  ])('a %i-byte file in chunks of %i from offset %i arrives whole', async (size, chunk, start) => {
    const bytes = randomBytes(size);
    const got = Buffer.concat(await readAll(await fileOf(bytes), chunk, start));
    expect(got.equals(bytes.subarray(start))).toBe(true);
  });
});
