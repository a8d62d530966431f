/**
 * Properties of whole encrypted files (header + payload), checked on many random cases:
 * encrypt → decrypt is the identity for sizes around every segment boundary and for any segment
 * size and chunking; and any single-byte change, truncation or extension of a file is rejected.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encryptFile } from '../../src/format/file.js';
import type { Header } from '../../src/format/header.js';
import { payloadLengthFor } from '../../src/format/payload.js';
import { LocalKeyProvider } from '../../src/keys/local/provider.js';
import { StageError, chunksBySizes, collect, decodeFile } from '../helpers/format.js';

const kek = randomBytes(32);
const dataKey = randomBytes(32);
const ctx = { instance: 'prop-host', setId: '20261123T174000.000Z_prop' };
const wrapped = await LocalKeyProvider.fromKey(kek).wrap(dataKey, ctx);

const headerFor = (segmentSize: number): Header => ({
  version: 1,
  segmentSize,
  context: { ...ctx, fileName: 'dump-0000.dfs', createdAtMs: 1_795_455_600_000 },
  wrappedKeys: [wrapped],
});

/** Plaintext sizes clustered at segment boundaries: P0 + k·P + delta, plus some anywhere. */
const caseArb = fc
  .record({
    segmentSize: fc.integer({ min: 128, max: 1200 }),
    k: fc.integer({ min: 0, max: 4 }),
    delta: fc.integer({ min: -2, max: 2 }),
    free: fc.option(fc.integer({ min: 0, max: 6000 }), { freq: 4 }),
    chunks: fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 5 }),
  })
  .map(({ segmentSize, k, delta, free, chunks }) => {
    const boundary = segmentSize - 56 + k * (segmentSize - 16);
    return { segmentSize, size: free ?? Math.max(0, boundary + delta), chunks };
  });

async function encrypted(plaintext: Buffer, segmentSize: number, chunks: number[]): Promise<Buffer> {
  return collect(encryptFile(chunksBySizes(plaintext, chunks), headerFor(segmentSize), dataKey));
}

async function rejected(file: Buffer): Promise<boolean> {
  try {
    await decodeFile(file, [kek], 61);
    return false;
  } catch (err) {
    if (err instanceof StageError) return true;
    throw err; // anything but a clean rejection (a TypeError, a RangeError) fails the property
  }
}

describe('encrypted file properties', () => {
  it('encrypt → decrypt is the identity, for any size, segment size and chunking', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ segmentSize, size, chunks }) => {
        const plaintext = randomBytes(size);
        const file = await encrypted(plaintext, segmentSize, chunks);
        const { header, plaintext: back } = await decodeFile(file, [kek], chunks[0] ?? 1);
        expect(back.equals(plaintext)).toBe(true);
        expect(file.length).toBe(header.raw.length + payloadLengthFor(size, segmentSize));
      }),
      { numRuns: 150 },
    );
  });

  it('rejects any single-byte change anywhere in the file', async () => {
    await fc.assert(
      fc.asyncProperty(
        caseArb,
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 255 }),
        async ({ segmentSize, size, chunks }, where, xor) => {
          const file = await encrypted(randomBytes(size), segmentSize, chunks);
          const at = Math.floor(where * file.length);
          file[at] = (file[at] ?? 0) ^ xor;
          expect(await rejected(file), `byte ${at} of ${file.length} ^ ${xor}`).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects every truncation and every extension', async () => {
    await fc.assert(
      fc.asyncProperty(
        caseArb,
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        async ({ segmentSize, size, chunks }, where, extra) => {
          const file = await encrypted(randomBytes(size), segmentSize, chunks);
          const cut = Math.floor(where * file.length);
          expect(await rejected(file.subarray(0, cut)), `cut at ${cut} of ${file.length}`).toBe(true);
          expect(await rejected(Buffer.concat([file, extra])), `${extra.length} bytes appended`).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
