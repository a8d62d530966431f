/**
 * One large file encrypted or decrypted on every core. This thread writes the header and the stream
 * header; each worker thread then takes every n-th batch of segments (segment-range.ts), reading and
 * writing at offsets that follow from the segment index alone. The output is a new file (0600,
 * fsynced) that callers publish only after the returned promise resolves: a decrypted file is complete
 * and authenticated only then, exactly as with the streaming path.
 */
import { constants, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IntegrityError, UserError } from '../errors.js';
import {
  associatedDataOf,
  encodeHeader,
  verifyHeaderMac,
  type Header,
  type ParsedHeader,
} from '../format/header.js';
import {
  FORMAT_VERSION,
  DEFAULT_SEGMENT_SIZE,
  MAX_SEGMENTS,
  STREAM_HEADER_LENGTH,
} from '../format/limits.js';
import { newPayloadKey, payloadKeyFromStreamHeader, type PayloadRandomness } from '../format/payload.js';
import { geometryForPayload, geometryForPlaintext } from '../format/segments.js';
import type { EncryptTarget } from '../files/encrypted-file.js';
import { removeIfExists } from '../io/durable.js';
import { SourceChangedError } from '../pipeline/errors.js';
import { runSegmentRange, type SegmentRangeTask } from './segment-range.js';
import { deserializeError, type SerializedError } from './thread-errors.js';

/** Below this, starting threads costs more than it saves (measured: bench/run.mjs). */
export const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;
const MAX_THREADS = 8;
/** Bytes each thread reads and writes in one step. */
const BATCH_BYTES = 4 * 1024 * 1024;
const WORKER_PATH = fileURLToPath(new URL('./segment-worker.js', import.meta.url));

/**
 * How many threads a file of `bytes` bytes gets: `requested` when given (a --threads flag), otherwise
 * one per CPU for large files. 1 means the streaming path.
 */
export function threadsFor(bytes: number, requested = 0): number {
  if (!existsSync(WORKER_PATH)) return 1;
  if (requested > 0) return requested;
  return bytes < PARALLEL_MIN_BYTES ? 1 : Math.min(availableParallelism(), MAX_THREADS);
}

export interface ParallelOptions {
  threads: number;
  /** Run the ranges one after another on this thread (tests running from TypeScript sources). */
  inline?: boolean;
  /** Fixed randomness, for tests comparing against the streaming encoder only. */
  randomness?: PayloadRandomness;
}

/** Encrypts the regular file `inPath` into a new file `outPath`; returns the bytes written. */
export async function encryptPathParallel(
  inPath: string,
  outPath: string,
  target: EncryptTarget,
  opts: ParallelOptions,
): Promise<{ bytes: number; plaintextBytes: number }> {
  const input = await open(inPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const before = await input.stat();
    if (!before.isFile()) throw new UserError(`${inPath} is not a regular file`);
    const header: Header = {
      version: FORMAT_VERSION,
      segmentSize: target.segmentSize ?? DEFAULT_SEGMENT_SIZE,
      context: target.context,
      wrappedKeys: target.wrappedKeys,
    };
    const headerBytes = encodeHeader(header, target.dataKey);
    const { streamHeader, segmentKey } = newPayloadKey(
      { dataKey: target.dataKey, associatedData: associatedDataOf(header) },
      opts.randomness,
    );
    const geometry = geometryForPlaintext(before.size, header.segmentSize);
    if (geometry.count > MAX_SEGMENTS)
      throw new UserError(`${inPath} is too large for one file (2^32 segments)`);
    await intoNewFile(outPath, async (output) => {
      await output.write(Buffer.concat([headerBytes, streamHeader]), 0, undefined, 0);
      const task = { op: 'encrypt' as const, geometry, segmentKey, what: inPath };
      await runRanges(
        { ...task, inFd: input.fd, inBase: 0, outFd: output.fd, outBase: headerBytes.length },
        opts,
      );
      const after = await input.stat();
      if (after.size !== before.size || after.mtimeMs !== before.mtimeMs)
        throw new SourceChangedError(
          `${inPath} changed while it was being encrypted; encrypt it again once it is stable`,
        );
    });
    return { bytes: headerBytes.length + geometry.payloadSize, plaintextBytes: before.size };
  } finally {
    await input.close();
  }
}

/** Authenticates and decrypts `inPath` (whose parsed header is given) into a new file `outPath`. */
export async function decryptPathParallel(
  inPath: string,
  header: ParsedHeader,
  dataKey: Uint8Array,
  outPath: string,
  opts: ParallelOptions & { what: string },
): Promise<number> {
  const fail = (m: string): never => {
    throw new IntegrityError(`${opts.what}: ${m}`);
  };
  try {
    verifyHeaderMac(header, dataKey);
  } catch (err) {
    if (err instanceof IntegrityError) fail(err.message);
    throw err;
  }
  const input = await open(inPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const payloadStart = header.raw.length;
    const geometry = geometryForPayload((await input.stat()).size - payloadStart, header.segmentSize);
    if (!geometry) return fail('truncated or cut inside a segment tag (its length fits no payload)');
    if (geometry.count > MAX_SEGMENTS) fail('too many segments');
    const streamHeader = Buffer.alloc(STREAM_HEADER_LENGTH);
    await input.read(streamHeader, 0, STREAM_HEADER_LENGTH, payloadStart);
    const segmentKey = payloadKeyFromStreamHeader(
      streamHeader,
      { dataKey, associatedData: header.associatedData },
      opts.what,
    );
    await intoNewFile(outPath, (output) =>
      runRanges(
        {
          op: 'decrypt',
          geometry,
          segmentKey,
          what: opts.what,
          inFd: input.fd,
          inBase: payloadStart,
          outFd: output.fd,
          outBase: 0,
        },
        opts,
      ),
    );
    return geometry.plaintextSize;
  } finally {
    await input.close();
  }
}

/** Creates `path` (must not exist, 0600), lets `fill` write it, fsyncs; removes it on any failure. */
async function intoNewFile(path: string, fill: (fh: FileHandle) => Promise<void>): Promise<void> {
  const fh = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await fill(fh);
    await fh.sync();
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await removeIfExists(path);
    throw err;
  }
}

type RangeBase = Omit<SegmentRangeTask, 'worker' | 'workers' | 'batch'>;

/** Runs every range of the file: on worker threads, or inline. The first failure wins; all stop. */
async function runRanges(base: RangeBase, opts: ParallelOptions): Promise<void> {
  const workers = Math.max(1, opts.threads);
  const batch = Math.max(1, Math.floor(BATCH_BYTES / base.geometry.segmentSize));
  const tasks: SegmentRangeTask[] = Array.from({ length: workers }, (_, worker) => ({
    ...base,
    batch,
    worker,
    workers,
  }));
  if (opts.inline || workers === 1 || !existsSync(WORKER_PATH)) {
    for (const t of tasks) runSegmentRange(t);
    return;
  }
  const threads = tasks.map((t) => new Worker(WORKER_PATH, { workerData: t }));
  try {
    await Promise.all(threads.map(finished));
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

function finished(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { ok: true } | { ok: false; error: SerializedError }) => {
      if (m.ok) resolve();
      else reject(deserializeError(m.error));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`segment worker exited with code ${code}`)));
  });
}
