/**
 * Authenticating a staged file on two threads (tags checked by segment ranges, payload hashed here)
 * must give exactly what the streaming read-back gives, and refuse exactly what it refuses. Runs the
 * ranges inline (no compiled worker script under vitest); watch runs real threads.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/errors.js';
import { authenticatePath } from '../../../src/files/authenticate.js';
import { readHeaderAt } from '../../../src/files/encrypted-file.js';
import { ciphertextOffset, geometryForPayload } from '../../../src/format/segments.js';
import { authenticatePathParallel } from '../../../src/parallel/authenticate-parallel.js';
import { encryptPathParallel } from '../../../src/parallel/parallel-file.js';

const SEGMENT = 256;
const dataKey = randomBytes(32);
const context = { instance: 'test', setId: 'set-1', fileName: 'dump.rdb', createdAtMs: 1_795_455_601_500 };
const wrappedKeys = [{ provider: 'local', keyId: 'abcd', blob: Buffer.alloc(60, 1) }];
const target = { context, dataKey, wrappedKeys, segmentSize: SEGMENT };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-auth-parallel-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sealed(size: number, name: string): Promise<string> {
  const input = join(dir, `${name}.plain`);
  const output = join(dir, `${name}.sg`);
  await writeFile(input, randomBytes(size));
  await encryptPathParallel(input, output, target, { threads: 2, inline: true });
  return output;
}

const check = (path: string, name = 'dump.rdb', setId = 'set-1') =>
  authenticatePathParallel(path, name, setId, dataKey);

describe('authenticatePathParallel', () => {
  it('gives the streaming read-back figures: sizes and payload digest', async () => {
    // Empty, inside segment 0, at its end, several segments, and more than one 4 MiB read chunk.
    for (const size of [0, 150, 200, 201, 10_001, 5 * 1024 * 1024 + 7]) {
      const path = await sealed(size, `ok-${size}`);
      const expected = await authenticatePath(path, 'dump.rdb', 'set-1', dataKey);
      expect(await check(path), `size ${size}`).toEqual(expected);
      expect(expected.plaintextBytes).toBe(size);
    }
  });

  it('refuses a flipped byte in any segment, a cut at a segment boundary, another file or set', async () => {
    const path = await sealed(10_001, 'bad');
    const size = (await authenticatePath(path, 'dump.rdb', 'set-1', dataKey)).encryptedBytes;
    await expect(check(path, 'other.rdb')).rejects.toThrow(/belongs to another file or set/);
    await expect(check(path, 'dump.rdb', 'set-2')).rejects.toThrow(/belongs to another file or set/);

    const fh = await open(path, 'r+');
    const at = size - 300; // inside one of the last segments, far from the header
    const { buffer: original } = await fh.read(Buffer.alloc(1), 0, 1, at);
    await fh.write(Buffer.from([original[0]! ^ 1]), 0, 1, at);
    await expect(check(path)).rejects.toThrow(IntegrityError);
    await fh.write(original, 0, 1, at); // restored: authentic again
    await fh.close();
    await expect(check(path)).resolves.toMatchObject({ plaintextBytes: 10_001 });

    // Drop the last segment: the file now ends on a boundary, and its new last segment's tag was
    // made for a segment that was not the last one.
    const header = await readHeaderAt(path);
    const g = geometryForPayload(size - header.raw.length, SEGMENT)!;
    await truncate(path, header.raw.length + ciphertextOffset(g, g.count - 1));
    await expect(check(path)).rejects.toThrow(/authentication failed in segment/);
  });
});
