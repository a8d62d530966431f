/**
 * Authenticating one large local file on two cores: a worker thread checks the tags of its segments
 * (decrypting into nothing) while this thread hashes the payload for the manifest, in one read each.
 * SHA-256 is the slower half (~1.3 GB/s against ~2.5 GB/s for AES-GCM here), so one worker keeps up.
 * The same checks as authenticatePath (files/authenticate.ts): the header names this file of this
 * set, its MAC verifies, every segment verifies, the length fits the segment geometry (a cut at a
 * segment boundary fails the last segment's tag).
 */
import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { IntegrityError } from '../errors.js';
import { checkHeaderOf, type AuthenticatedFile } from '../files/authenticate.js';
import { fileError, readHeaderAt } from '../files/encrypted-file.js';
import { READ_CHUNK } from '../io/durable.js';
import { openPayload } from './parallel-file.js';
import { batchFor, runRanges } from './run-ranges.js';
import { runSegmentRange } from './segment-range.js';

/**
 * Hashes the file from `start` to its end through two buffers used in turn (one read ahead): no
 * garbage per chunk, so no GC and no fresh pages (fresh 4 MiB chunks cost ~0.35 CPU-s of GC per
 * 256 MiB in the daemon, whose heap is larger). Returns the bytes hashed.
 */
async function hashFrom(input: FileHandle, start: number, hash: Hash): Promise<number> {
  let [current, other] = [Buffer.allocUnsafe(READ_CHUNK), Buffer.allocUnsafe(READ_CHUNK)];
  let position = start;
  let reading = input.read(current, 0, READ_CHUNK, position);
  try {
    for (;;) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) return position - start;
      position += bytesRead;
      [current, other] = [other, current];
      reading = input.read(current, 0, READ_CHUNK, position);
      hash.update(other.subarray(0, bytesRead));
    }
  } finally {
    await reading.catch(() => undefined);
  }
}

/**
 * `split`: a worker thread checks the tags while this thread hashes (two cores). Otherwise this thread
 * does both in one synchronous pass, reading each batch once (for a worker thread of the file-job pool).
 */
export async function authenticatePathParallel(
  path: string,
  name: string,
  setId: string,
  dataKey: Buffer,
  split = true,
): Promise<AuthenticatedFile> {
  const header = await readHeaderAt(path);
  checkHeaderOf(header, path, name, setId, dataKey);
  const fail = (m: string): never => {
    throw new IntegrityError(`${path}: ${m}`);
  };
  const input = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: unknown) => {
    throw fileError(err, path, 'read');
  });
  try {
    const { payloadStart, encryptedBytes, geometry, streamHeader, segmentKey } = await openPayload(
      input,
      header,
      dataKey,
      path,
    );
    const base = {
      op: 'decrypt' as const,
      geometry,
      segmentKey,
      what: path,
      inFd: input.fd,
      inBase: payloadStart,
      outFd: undefined,
      outBase: 0,
    };
    const hash = createHash('sha256');
    if (!split) {
      hash.update(streamHeader);
      const task = { ...base, batch: batchFor(geometry.segmentSize), worker: 0, workers: 1 };
      runSegmentRange(
        task,
        () => undefined,
        (bytes) => hash.update(bytes),
      );
      return { plaintextBytes: geometry.plaintextSize, payloadSha256: hash.digest('hex'), encryptedBytes };
    }
    const checking = runRanges(base, { threads: 1 });
    checking.catch(() => undefined); // awaited below, after the hash
    const hashed = await hashFrom(input, payloadStart, hash);
    await checking;
    if (payloadStart + hashed !== encryptedBytes) fail('changed while it was being read back');
    return { plaintextBytes: geometry.plaintextSize, payloadSha256: hash.digest('hex'), encryptedBytes };
  } finally {
    await input.close();
  }
}
