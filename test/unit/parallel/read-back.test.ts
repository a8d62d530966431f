/**
 * Sealing with `readBack`: every batch is read back from the output file right after it is written and
 * its tags checked, and the payload digest is taken from what was read back, in file order whatever
 * order the threads finish their batches in. The digest must be exactly the one a separate read-back
 * pass gives; a batch that reaches the file other than it was encrypted must fail the seal.
 * Runs the ranges inline (no compiled worker script under vitest); the daemon runs real threads.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/errors.js';
import { authenticatePath } from '../../../src/files/authenticate.js';
import { readHeaderAt } from '../../../src/files/encrypted-file.js';
import { ciphertextOffset, geometryForPayload } from '../../../src/format/segments.js';
import { FollowHash } from '../../../src/parallel/follow-hash.js';
import { encryptPathParallel, openPayload } from '../../../src/parallel/parallel-file.js';
import { batchFor } from '../../../src/parallel/run-ranges.js';
import { checkBatchTags, runSegmentRange } from '../../../src/parallel/segment-range.js';

const SEGMENT = 64 * 1024; // 16 segments per 1 MiB batch: several batches need a few MiB
const dataKey = randomBytes(32);
const context = { instance: 'test', setId: 'set-1', fileName: 'dump.rdb', createdAtMs: 1_795_455_601_500 };
const wrappedKeys = [{ provider: 'local', keyId: 'abcd', blob: Buffer.alloc(60, 1) }];
const target = { context, dataKey, wrappedKeys, segmentSize: SEGMENT };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-read-back-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function plainFile(name: string, size: number): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, randomBytes(size));
  return path;
}

async function payloadDigest(path: string): Promise<string> {
  const start = (await readHeaderAt(path)).raw.length;
  return createHash('sha256')
    .update((await readFile(path)).subarray(start))
    .digest('hex');
}

describe('sealing with read-back', () => {
  // Empty, inside segment 0, one batch exactly-ish, several batches with a ragged end.
  const sizes = [0, 150, SEGMENT * 16 - 100, 5 * 1024 * 1024 + 7];
  for (const threads of [1, 2, 3]) {
    it(`with ${threads} range(s): the digest of the payload as written, as a separate read-back gives`, async () => {
      for (const size of sizes) {
        const input = await plainFile(`in-${threads}-${size}`, size);
        const out = `${input}.sg`;
        const r = await encryptPathParallel(input, out, target, { threads, inline: true, readBack: true });
        expect(r.payloadSha256, `size ${size}`).toBe(await payloadDigest(out));
        const separate = await authenticatePath(out, 'dump.rdb', 'set-1', dataKey);
        expect(r.payloadSha256).toBe(separate.payloadSha256);
        expect(r.bytes).toBe(separate.encryptedBytes);
      }
    });
  }

  it('without readBack gives no digest (the caller must read the file back itself)', async () => {
    const input = await plainFile('plain-no-read-back', 1000);
    const r = await encryptPathParallel(input, `${input}.sg`, target, { threads: 2, inline: true });
    expect(r.payloadSha256).toBeUndefined();
  });

  it('fails when a batch reaches the file other than it was encrypted (checks the file, not memory)', async () => {
    // Seal once to get a file with a header, then re-run one range whose writes flip a bit on the way
    // to the file: the read-back must catch it although the encrypted batch in memory was right.
    const input = await plainFile('plain-flip', 3 * 1024 * 1024);
    const out = `${input}.sg`;
    await encryptPathParallel(input, out, target, { threads: 1, inline: true });
    const header = await readHeaderAt(out);
    const inFh = await open(input, 'r');
    const outFh = await open(out, 'r+');
    try {
      const payload = await openPayload(outFh, header, dataKey, out);
      const task = {
        op: 'encrypt' as const,
        geometry: geometryForPayload(payload.encryptedBytes - payload.payloadStart, SEGMENT)!,
        segmentKey: payload.segmentKey,
        what: out,
        inFd: inFh.fd,
        inBase: 0,
        outFd: outFh.fd,
        outBase: payload.payloadStart,
        batch: batchFor(SEGMENT),
        worker: 0,
        workers: 1,
        readBack: true,
      };
      let flipped = false;
      const corrupting = (index: number, outputs: Buffer[]) => {
        const bytes = Buffer.concat(outputs);
        if (index === 1) {
          bytes[1000] = (bytes[1000] ?? 0) ^ 1;
          flipped = true;
        }
        // Where the real sink writes batch `index` (segment-range.ts fileSink).
        writeSync(
          outFh.fd,
          bytes,
          0,
          bytes.length,
          task.outBase + ciphertextOffset(task.geometry, index * task.batch),
        );
      };
      expect(() => runSegmentRange(task, corrupting)).toThrow(IntegrityError);
      expect(flipped).toBe(true);
    } finally {
      await inFh.close();
      await outFh.close();
    }
  });
});

describe('FollowHash', () => {
  it('hashes batches in file order whatever order they are reported in, with or without their bytes', async () => {
    const input = await plainFile('follow', 4 * 1024 * 1024 + 3);
    const out = `${input}.sg`;
    await encryptPathParallel(input, out, target, { threads: 1, inline: true });
    const expected = await payloadDigest(out);
    const header = await readHeaderAt(out);
    const fh = await open(out, 'r');
    try {
      const { payloadStart, encryptedBytes, streamHeader } = await openPayload(fh, header, dataKey, out);
      const geometry = geometryForPayload(encryptedBytes - payloadStart, SEGMENT)!;
      const batch = batchFor(SEGMENT);
      const batches = Math.ceil(geometry.count / batch);
      expect(batches).toBeGreaterThan(3);
      const whole = await readFile(out);
      const bytesOf = (i: number) =>
        whole.subarray(
          payloadStart + ciphertextOffset(geometry, i * batch),
          payloadStart + ciphertextOffset(geometry, (i + 1) * batch),
        );
      for (const order of [
        [...Array(batches).keys()],
        [...Array(batches).keys()].reverse(),
        [1, 0, 3, 2, ...[...Array(batches).keys()].slice(4)],
      ]) {
        const follow = new FollowHash(fh, payloadStart, geometry, batch, streamHeader);
        // Even batches come with their bytes (read back on this thread), odd ones from the file.
        for (const i of order) follow.written(i, i % 2 === 0 ? bytesOf(i) : Buffer.alloc(0));
        expect(await follow.digest(), `order ${order.join(',')}`).toBe(expected);
      }
    } finally {
      await fh.close();
    }
  });

  it('with a check, reads back and checks every batch no thread handed over: a byte flipped in the file fails', async () => {
    const input = await plainFile('follow-check', 3 * 1024 * 1024 + 5);
    const out = `${input}.sg`;
    await encryptPathParallel(input, out, target, { threads: 1, inline: true });
    const header = await readHeaderAt(out);
    const fh = await open(out, 'r+');
    try {
      const { payloadStart, encryptedBytes, streamHeader, segmentKey } = await openPayload(
        fh,
        header,
        dataKey,
        out,
      );
      const geometry = geometryForPayload(encryptedBytes - payloadStart, SEGMENT)!;
      const batch = batchFor(SEGMENT);
      const batches = Math.ceil(geometry.count / batch);
      const checked: number[] = [];
      const check = (first: number, end: number, bytes: Buffer) => {
        checked.push(first / batch);
        checkBatchTags(segmentKey, geometry, first, end, bytes, `${out} (read back)`);
      };
      const follow = (c = check) => {
        const f = new FollowHash(fh, payloadStart, geometry, batch, streamHeader, c);
        for (let i = batches - 1; i >= 0; i--) f.written(i, Buffer.alloc(0));
        return f.digest();
      };
      expect(await follow()).toBe(await payloadDigest(out));
      expect(checked).toEqual([...Array(batches).keys()]);

      // A bit flipped in batch 2 as it lies in the file (the page cache a worker thread wrote to).
      const at = payloadStart + ciphertextOffset(geometry, 2 * batch) + 500;
      const one = Buffer.alloc(1);
      await fh.read(one, 0, 1, at);
      await fh.write(Buffer.from([one[0]! ^ 0x10]), 0, 1, at);
      await expect(follow()).rejects.toThrow(
        `${out} (read back): authentication failed in segment ${2 * batch}`,
      );
      await expect(follow(() => undefined)).resolves.toMatch(/^[0-9a-f]{64}$/); // without a check: hashed as is
    } finally {
      await fh.close();
    }
  });
});
