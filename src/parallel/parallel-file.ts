/**
 * One large file encrypted or decrypted on every core. This thread writes the header and the stream
 * header; each worker thread then takes every n-th batch of segments (segment-range.ts), reading and
 * writing at offsets that follow from the segment index alone (or, for a pipe such as stdout,
 * writing them to it in file order, taking turns: ordered-writes.ts). A file output is new (0600, fsynced)
 * and callers publish it only after the returned promise resolves: a decrypted file is complete and
 * authenticated only then, exactly as with the streaming path.
 */
import { constants, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
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
import { SourceChangedError } from '../snapshots/source-changed.js';
import { batchFor, runRanges, runsInline, WORKER_PATH } from './run-ranges.js';
import { FollowHash } from './follow-hash.js';
import { checkBatchTags, type OnWritten } from './segment-range.js';
import { writeAllSync } from './ordered-writes.js';

/**
 * Below this, starting the threads costs about what they save (measured on 2 cores: a 16 MiB file
 * took ~100 ms longer with 2 threads than with 1, a 64 MiB file about the same, 1 GiB ~20% less).
 */
export const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;
const MAX_THREADS = 8;

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
  /** Opens the input (default: O_RDONLY | O_NOFOLLOW); sealing passes one that checks the scanned inode. */
  openInput?: (path: string) => Promise<FileHandle>;
  /** Run the ranges one after another on this thread (tests running from TypeScript sources). */
  inline?: boolean;
  /** Take one share on this thread, blocking it (one-shot commands only: see run-ranges.ts). */
  shareMain?: boolean;
  /** Fixed randomness, for tests comparing against the streaming encoder only. */
  randomness?: PayloadRandomness;
  /**
   * Encrypting into a file: read every batch back right after it is written and check its tags, and
   * hash the payload (the digest a manifest records) from what was read back: the file is
   * authenticated in the same pass that writes it. Inline, the range that wrote a batch reads it back;
   * with worker threads, this thread does, in file order, as it hashes.
   */
  readBack?: boolean;
  /** Sees each batch once it is in the output file (run-ranges.ts): how a caller follows progress. */
  onWritten?: OnWritten;
}

/**
 * Encrypts the regular file `inPath` into a new file `outPath` (each thread writes its own batches
 * in place), or to `outPath` = `{ fd }`, a pipe or device such as stdout (batches written in order).
 */
export async function encryptPathParallel(
  inPath: string,
  outPath: string | { fd: number },
  target: EncryptTarget,
  opts: ParallelOptions,
): Promise<{ bytes: number; plaintextBytes: number; payloadSha256?: string }> {
  const input = await (opts.openInput ?? openReadOnly)(inPath);
  try {
    const before = await input.stat();
    if (!before.isFile()) throw new UserError(`${inPath} is not a regular file`);
    const header: Header = {
      version: FORMAT_VERSION,
      segmentSize: target.segmentSize ?? DEFAULT_SEGMENT_SIZE,
      context: target.context,
      wrappedKeys: target.wrappedKeys,
    };
    const head = encodeHeader(header, target.dataKey);
    const { streamHeader, segmentKey } = newPayloadKey(
      { dataKey: target.dataKey, associatedData: associatedDataOf(header) },
      opts.randomness,
    );
    const geometry = geometryForPlaintext(before.size, header.segmentSize);
    if (geometry.count > MAX_SEGMENTS)
      throw new UserError(`${inPath} is too large for one file (2^32 segments)`);
    const task = { op: 'encrypt' as const, geometry, segmentKey, what: inPath, inFd: input.fd, inBase: 0 };
    const checkUnchanged = async () => {
      const after = await input.stat();
      if (after.size !== before.size || after.mtimeMs !== before.mtimeMs)
        throw new SourceChangedError(
          `${inPath} changed while it was being encrypted; encrypt it again once it is stable`,
        );
    };
    let payloadSha256: string | undefined;
    if (typeof outPath === 'string') {
      const readBack = opts.readBack === true;
      await intoNewFile(
        outPath,
        async (output) => {
          await output.write(Buffer.concat([head, streamHeader]), 0, undefined, 0);
          const batch = batchFor(header.segmentSize);
          // Ranges on worker threads only encrypt and write: this thread reads each batch back as it
          // hashes, and checks its tags on that read (2 cores, one 1 GiB RDB: the encrypting thread
          // had been the slower of the two). Inline, each range reads back its own batches.
          const threaded = !runsInline(opts);
          const check = (first: number, end: number, bytes: Buffer) =>
            checkBatchTags(segmentKey, geometry, first, end, bytes, `${inPath} (read back)`);
          const follow = readBack
            ? new FollowHash(output, head.length, geometry, batch, streamHeader, threaded ? check : undefined)
            : undefined;
          const ranges = { ...task, outFd: output.fd, outBase: head.length, readBack: readBack && !threaded };
          await runRanges(ranges, { ...opts, ...(follow ? { onWritten: follow.written } : {}) });
          await checkUnchanged();
          payloadSha256 = await follow?.digest();
        },
        readBack,
      );
    } else {
      // A pipe or device (stdout): every thread writes its batches to it in file order.
      writeAllSync(outPath.fd, Buffer.concat([head, streamHeader]));
      await runRanges({ ...task, outFd: undefined, outBase: 0 }, opts, outPath.fd);
      await checkUnchanged();
    }
    const bytes = head.length + geometry.payloadSize;
    return { bytes, plaintextBytes: before.size, ...(payloadSha256 ? { payloadSha256 } : {}) };
  } finally {
    await input.close();
  }
}

function openReadOnly(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
}

/**
 * The payload of an open encrypted file: where it starts, its segment geometry (from the file's size)
 * and the key of its segments (from its stream header). Throws IntegrityError naming `what`.
 */
export async function openPayload(
  input: FileHandle,
  header: ParsedHeader,
  dataKey: Uint8Array,
  what: string,
): Promise<{
  payloadStart: number;
  encryptedBytes: number;
  geometry: NonNullable<ReturnType<typeof geometryForPayload>>;
  streamHeader: Buffer;
  segmentKey: ReturnType<typeof payloadKeyFromStreamHeader>;
}> {
  const fail = (m: string): never => {
    throw new IntegrityError(`${what}: ${m}`);
  };
  const payloadStart = header.raw.length;
  const encryptedBytes = (await input.stat()).size;
  const geometry = geometryForPayload(encryptedBytes - payloadStart, header.segmentSize);
  if (!geometry) return fail('truncated or cut inside a segment tag (its length fits no payload)');
  if (geometry.count > MAX_SEGMENTS) fail('too many segments');
  const streamHeader = Buffer.alloc(STREAM_HEADER_LENGTH);
  await input.read(streamHeader, 0, STREAM_HEADER_LENGTH, payloadStart);
  const segmentKey = payloadKeyFromStreamHeader(
    streamHeader,
    { dataKey, associatedData: header.associatedData },
    what,
  );
  return { payloadStart, encryptedBytes, geometry, streamHeader, segmentKey };
}

/**
 * Authenticates and decrypts `inPath` (whose parsed header is given) into a new file `outPath`, or into
 * an open file (a private spool) written at offsets from its start.
 */
export async function decryptPathParallel(
  inPath: string,
  header: ParsedHeader,
  dataKey: Uint8Array,
  outPath: string | FileHandle,
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
    const { payloadStart, geometry, segmentKey } = await openPayload(input, header, dataKey, opts.what);
    const into = (output: FileHandle) =>
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
      );
    await (typeof outPath === 'string' ? intoNewFile(outPath, into) : into(outPath));
    return geometry.plaintextSize;
  } finally {
    await input.close();
  }
}

/**
 * Creates `path` (must not exist, 0600; `readable` to read it back too), lets `fill` write it, fsyncs;
 * removes it on any failure.
 */
export async function intoNewFile(
  path: string,
  fill: (fh: FileHandle) => Promise<void>,
  readable = false,
): Promise<void> {
  const fh = await open(
    path,
    (readable ? constants.O_RDWR : constants.O_WRONLY) |
      constants.O_CREAT |
      constants.O_EXCL |
      constants.O_NOFOLLOW,
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
