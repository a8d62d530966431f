/**
 * One thread's share of a file: every `workers`-th batch of consecutive segments, read from the input
 * at its computed offset, encrypted or decrypted, and handed to a sink: written to the output file at
 * its computed offset, or passed back to be written to a stream in order.
 * Synchronous on purpose: it runs on a worker thread of its own (or inline in tests).
 */
import { readSync, writeSync } from 'node:fs';
import {
  checkWholeSegmentTag,
  ciphertextOffset,
  decryptWholeSegment,
  encryptSegment,
  plaintextOffset,
  type SegmentGeometry,
  type SegmentKey,
} from '../format/segments.js';
import { SourceChangedError } from '../snapshots/source-changed.js';
import { collectYoungGarbage } from '../io/young-garbage.js';
import { withWriteLock, type WriteLock } from './write-lock.js';

export interface SegmentRangeTask {
  op: 'encrypt' | 'decrypt';
  /** Descriptors opened by the main thread: file descriptors are shared by every thread of a process. */
  inFd: number;
  /** File offset of the input's first byte (plaintext start, or the payload's start). */
  inBase: number;
  /**
   * The output file (written at offsets), or undefined when batches go to a BatchSink instead, or,
   * with no sink either, nowhere: decryption then only authenticates every segment.
   */
  outFd: number | undefined;
  outBase: number;
  geometry: SegmentGeometry;
  segmentKey: SegmentKey;
  /** Consecutive segments handled as one read and one write. */
  batch: number;
  worker: number;
  workers: number;
  /** Names the file in integrity errors. */
  what: string;
  /**
   * Encrypting into a file: read each batch back from the file right after writing it and check every
   * segment's tag, so the written file is authenticated in the same pass, while the batch is still in
   * the CPU's cache, instead of by a second pass over the whole file. (A file split between worker
   * threads is read back by the main thread instead, as it hashes: parallel-file.ts.)
   */
  readBack?: boolean;
  /** Shared by every thread writing into the same output file (write-lock.ts). */
  writeLock?: WriteLock;
  /**
   * Collect the young garbage (the batches' output buffers) every few MiB instead of after every
   * batch: about a fifth less CPU writing to a pipe, for ~9 MiB more memory (run-ranges.ts).
   */
  collectEveryFewMiB?: boolean;
}

/** Receives batch number `index` (counted over the whole file) as output buffers, in this thread's order. */
export type BatchSink = (index: number, outputs: Buffer[]) => void;

/** Batch `index` is in the output file, and (with `readBack`) `bytes`, read back from it, authenticated. */
export type OnWritten = (index: number, bytes: Buffer) => void;

/**
 * `onInput` sees each batch's input bytes right after they are read (in file order when `workers` is
 * 1): how a single-thread read-back hashes the payload in the same pass. `onWritten` sees each batch
 * once it is written (and, with `readBack`, authenticated).
 */
export function runSegmentRange(
  t: SegmentRangeTask,
  sink: BatchSink = fileSink(t),
  onInput?: (input: Buffer) => void,
  onWritten?: OnWritten,
): void {
  const g = t.geometry;
  const inOffset = t.op === 'encrypt' ? plaintextOffset : ciphertextOffset;
  const transform = (i: number, last: boolean, input: Buffer): Buffer[] =>
    t.op === 'encrypt'
      ? encryptSegment(t.segmentKey, i, last, [input])
      : decryptWholeSegment(t.segmentKey, i, last, input, t.what);
  const buf = Buffer.allocUnsafe(t.batch * g.segmentSize);
  const check = t.readBack ? readBackCheck(t) : undefined;
  for (let first = t.worker * t.batch; first < g.count; first += t.workers * t.batch) {
    // The previous batch's output buffers.
    collectYoungGarbage(t.collectEveryFewMiB ? t.batch * g.segmentSize : Infinity);
    const end = Math.min(first + t.batch, g.count);
    const from = inOffset(g, first);
    readFully(t.inFd, buf, inOffset(g, end) - from, t.inBase + from, t.what);
    onInput?.(buf.subarray(0, inOffset(g, end) - from));
    const outputs: Buffer[] = [];
    for (let i = first; i < end; i++) {
      const input = buf.subarray(inOffset(g, i) - from, inOffset(g, i + 1) - from);
      outputs.push(...transform(i, i === g.count - 1, input));
    }
    sink(first / t.batch, outputs);
    const written = check?.(first, end) ?? buf.subarray(0, 0);
    onWritten?.(first / t.batch, written);
  }
}

/**
 * Reads segments [first, end) back from the output file into one reused buffer and checks their tags;
 * returns the bytes read. Batches never overlap (offsets follow from the index alone), so a batch
 * checked here stays as checked.
 */
function readBackCheck(t: SegmentRangeTask): (first: number, end: number) => Buffer {
  if (t.op !== 'encrypt' || t.outFd === undefined)
    throw new Error('readBack: only when encrypting into a file');
  const outFd = t.outFd;
  const g = t.geometry;
  const back = Buffer.allocUnsafe(t.batch * g.segmentSize);
  return (first, end) => {
    const from = ciphertextOffset(g, first);
    const length = ciphertextOffset(g, end) - from;
    readFully(outFd, back, length, t.outBase + from, t.what);
    const bytes = back.subarray(0, length);
    checkBatchTags(t.segmentKey, g, first, end, bytes, `${t.what} (read back)`);
    return bytes;
  };
}

/**
 * Checks the tag of every segment in [first, end), whose ciphertext `bytes` holds from segment
 * `first` on (GHASH only: nothing to decrypt, see checkSegmentTag). Throws IntegrityError naming `what`.
 */
export function checkBatchTags(
  segmentKey: SegmentKey,
  g: SegmentGeometry,
  first: number,
  end: number,
  bytes: Buffer,
  what: string,
): void {
  const from = ciphertextOffset(g, first);
  for (let i = first; i < end; i++) {
    const segment = bytes.subarray(ciphertextOffset(g, i) - from, ciphertextOffset(g, i + 1) - from);
    checkWholeSegmentTag(segmentKey, i, i === g.count - 1, segment, what);
  }
}

/** Writes each batch into the output file where it belongs. */
function fileSink(t: SegmentRangeTask): BatchSink {
  const outOffset = t.op === 'encrypt' ? ciphertextOffset : plaintextOffset;
  if (t.outFd === undefined) {
    if (t.op === 'encrypt') throw new Error('runSegmentRange: no output file and no sink');
    return () => undefined; // authenticate only: decryptWholeSegment has checked every tag
  }
  const outFd = t.outFd;
  return (index, outputs) => {
    let at = t.outBase + outOffset(t.geometry, index * t.batch);
    withWriteLock(t.writeLock, () => {
      for (const out of outputs) at += writeFully(outFd, out, at);
    });
  };
}

function readFully(fd: number, buf: Buffer, length: number, position: number, what: string): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new SourceChangedError(`${what} became shorter while it was being read`);
    done += n;
  }
}

function writeFully(fd: number, data: Buffer, position: number): number {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
  return data.length;
}
