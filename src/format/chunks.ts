/**
 * Pull-based reader over an async stream of byte chunks. Holds references to the incoming chunks
 * (no copying) and hands out exact-length slices, which is what segment framing needs.
 */
export class PullReader {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private readonly iter: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iter = source[Symbol.asyncIterator]();
  }

  get buffered(): number {
    return this.queued;
  }

  /** Reads until at least `n` bytes are buffered or the source ends; returns the buffered count. */
  async fill(n: number): Promise<number> {
    while (this.queued < n && !this.ended) {
      const next = await this.iter.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const v = next.value;
      if (v.byteLength === 0) continue;
      this.queue.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      this.queued += v.byteLength;
    }
    return this.queued;
  }

  /** Removes `n` buffered bytes (n <= buffered) and returns them as slices of the original chunks. */
  takeSlices(n: number): Buffer[] {
    const out: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = this.queue[0];
      if (head === undefined) throw new Error('PullReader: take beyond buffered data');
      if (head.length <= need) {
        out.push(head);
        this.queue.shift();
        need -= head.length;
      } else {
        out.push(head.subarray(0, need));
        this.queue[0] = head.subarray(need);
        need = 0;
      }
    }
    this.queued -= n;
    return out;
  }

  /** Removes `n` buffered bytes as one contiguous buffer (copies only when they span chunks). */
  take(n: number): Buffer {
    const slices = this.takeSlices(n);
    return slices.length === 1 && slices[0] ? slices[0] : Buffer.concat(slices, n);
  }

  /** Stops the underlying source early (for example after an error). */
  async close(): Promise<void> {
    this.queue.length = 0;
    this.queued = 0;
    if (!this.ended && this.iter.return) {
      this.ended = true;
      await this.iter.return();
    }
  }
}

/** Copies the last `n` bytes out of a slice list and returns [the leading slices, those n bytes]. */
export function splitTail(slices: Buffer[], n: number): [Buffer[], Buffer] {
  const total = slices.reduce((s, b) => s + b.length, 0);
  const cut = total - n;
  const head: Buffer[] = [];
  const tail: Buffer[] = [];
  let pos = 0;
  for (const s of slices) {
    const end = pos + s.length;
    if (end <= cut) head.push(s);
    else if (pos >= cut) tail.push(s);
    else {
      head.push(s.subarray(0, cut - pos));
      tail.push(s.subarray(cut - pos));
    }
    pos = end;
  }
  return [head, Buffer.concat(tail, n)];
}
