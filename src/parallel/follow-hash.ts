/**
 * The SHA-256 of a payload being written by several threads at once, batch by batch in any order: the
 * digest must take the bytes in file order, so each batch is hashed once every batch before it is in
 * the file. A batch handed over with its bytes (read back and checked on this thread, in order) is
 * hashed from them; otherwise it is read back from the file, which is then only the page cache just
 * written, and, given a `check`, its tags are checked on that same read: the worker threads then only
 * encrypt and write, and this thread reads the file back once for both.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { ciphertextOffset, type SegmentGeometry } from '../format/segments.js';

export class FollowHash {
  private readonly hash = createHash('sha256');
  private readonly batches: number;
  private readonly ready = new Set<number>();
  private next = 0;
  private reading: Promise<void> | undefined;
  private failure: { err: unknown } | undefined;
  private buffer: Buffer | undefined;

  /**
   * `file` holds the payload from `payloadStart` (its stream header already written there and given
   * here); batches of `batch` segments follow the geometry.
   */
  constructor(
    private readonly file: FileHandle,
    private readonly payloadStart: number,
    private readonly geometry: SegmentGeometry,
    private readonly batch: number,
    streamHeader: Uint8Array,
    /** Checks segments [first, end) of bytes read back from the file (throws when one fails). */
    private readonly check?: (first: number, end: number, bytes: Buffer) => void,
  ) {
    this.batches = Math.ceil(geometry.count / batch);
    this.hash.update(streamHeader);
  }

  /** Batch `index` is in the file; `bytes` are its bytes when this thread has them (else empty). */
  readonly written = (index: number, bytes: Buffer): void => {
    if (bytes.length > 0 && index === this.next && this.reading === undefined) {
      this.hash.update(bytes);
      this.next++;
      return;
    }
    this.ready.add(index);
    this.readInOrder();
  };

  /** Once every batch is in the file: the digest, hex. */
  async digest(): Promise<string> {
    for (let i = this.next; i < this.batches; i++) this.ready.add(i);
    this.readInOrder();
    while (this.reading) await this.reading;
    if (this.failure) throw this.failure.err;
    return this.hash.digest('hex');
  }

  private readInOrder(): void {
    if (this.reading !== undefined || this.failure) return;
    this.reading = (async () => {
      // `next` moves before the read, so a batch being read is never queued again.
      while (this.ready.has(this.next)) {
        const index = this.next++;
        this.ready.delete(index);
        await this.hashFromFile(index);
      }
    })()
      .catch((err: unknown) => {
        this.failure ??= { err };
      })
      .finally(() => {
        this.reading = undefined;
        if (this.ready.has(this.next)) this.readInOrder(); // arrived during the last read
      });
  }

  private async hashFromFile(index: number): Promise<void> {
    const g = this.geometry;
    const [first, end] = [index * this.batch, Math.min(g.count, (index + 1) * this.batch)];
    const from = ciphertextOffset(g, first);
    const length = ciphertextOffset(g, end) - from;
    this.buffer ??= Buffer.allocUnsafe(this.batch * g.segmentSize);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.file.read(
        this.buffer,
        done,
        length - done,
        this.payloadStart + from + done,
      );
      if (bytesRead === 0) throw new Error(`payload ends before batch ${index} (offset ${from + done})`);
      done += bytesRead;
    }
    const bytes = this.buffer.subarray(0, length);
    this.check?.(first, end, bytes);
    this.hash.update(bytes);
  }
}
