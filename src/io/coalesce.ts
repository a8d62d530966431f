/**
 * Joins the small pieces a pipe or a socket delivers (process.stdin reads 64 KiB at a time) into
 * chunks of a fixed size, so that downstream handles a sixteenth as many buffers. Decrypting 1 GiB
 * from a pipe into a file: 143 → 103 MiB peak, 2.21 → 2.14 CPU-s (medians of 5 alternated runs).
 * Restoring 1 GiB from a bucket: 156 → 135 MiB, 2.37 → 1.86 CPU-s (bench/run.mjs --only s3).
 */
export async function* coalesce(pieces: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let chunk = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const piece of pieces) {
    let at = 0;
    while (at < piece.byteLength) {
      const n = Math.min(size - filled, piece.byteLength - at);
      chunk.set(piece.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === size) {
        yield chunk;
        chunk = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield chunk.subarray(0, filled);
}
