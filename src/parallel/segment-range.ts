/**
 * One thread's share of a file: every `workers`-th batch of consecutive segments, read from the input
 * at its computed offset, encrypted or decrypted, and written to the output at its computed offset.
 * Synchronous on purpose: it runs on a worker thread of its own (or inline in tests).
 */
import { readSync, writeSync } from 'node:fs';
import {
  ciphertextOffset,
  decryptSegment,
  encryptSegment,
  plaintextOffset,
  type SegmentGeometry,
  type SegmentKey,
} from '../format/segments.js';
import { SourceChangedError } from '../pipeline/errors.js';
import { collectYoungGarbage } from '../io/young-garbage.js';

export interface SegmentRangeTask {
  op: 'encrypt' | 'decrypt';
  /** Descriptors opened by the main thread: file descriptors are shared by every thread of a process. */
  inFd: number;
  /** File offset of the input's first byte (plaintext start, or the payload's start). */
  inBase: number;
  outFd: number;
  outBase: number;
  geometry: SegmentGeometry;
  segmentKey: SegmentKey;
  /** Consecutive segments handled as one read and one write. */
  batch: number;
  worker: number;
  workers: number;
  /** Names the file in integrity errors. */
  what: string;
}

export function runSegmentRange(t: SegmentRangeTask): void {
  const g = t.geometry;
  const [inOffset, outOffset] =
    t.op === 'encrypt' ? [plaintextOffset, ciphertextOffset] : [ciphertextOffset, plaintextOffset];
  const transform = (i: number, last: boolean, input: Buffer): Buffer[] =>
    t.op === 'encrypt'
      ? encryptSegment(t.segmentKey, i, last, input)
      : decryptSegment(t.segmentKey, i, last, input, t.what);
  const buf = Buffer.allocUnsafe(t.batch * g.segmentSize);
  for (let first = t.worker * t.batch; first < g.count; first += t.workers * t.batch) {
    collectYoungGarbage(); // the previous batch's output buffers
    const end = Math.min(first + t.batch, g.count);
    const from = inOffset(g, first);
    readFully(t.inFd, buf, inOffset(g, end) - from, t.inBase + from, t.what);
    let at = t.outBase + outOffset(g, first);
    for (let i = first; i < end; i++) {
      const input = buf.subarray(inOffset(g, i) - from, inOffset(g, i + 1) - from);
      const last = i === g.count - 1;
      for (const out of transform(i, last, input)) at += writeFully(t.outFd, out, at);
    }
  }
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
