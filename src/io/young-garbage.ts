/**
 * Buffers that node:crypto and node:fs hand out live outside V8's heap, and V8 collects them only
 * after tens of MiB of them have piled up on a thread. A minor (young-generation) GC after each few
 * MiB of work frees them right away, so memory stays at a few buffers whatever the file's size
 * (measured with bench/run.mjs --only memory: see bench/README.md). Costs well under a millisecond.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options?: { type?: 'minor' | 'major'; flavor?: 'regular' | 'last-resort' }) => void;

let gc: Gc | null | undefined;

/**
 * Collect once this many bytes have passed since the last collection: a daemon sealing thousands of
 * small files would otherwise run a collection per write, which costs more time than the sealing and
 * moves short-lived objects into the old generation early (its memory then grows with the seals).
 */
const EVERY_BYTES = 4 * 1024 * 1024;
let sinceLast = 0;

function gcFunction(): Gc | null {
  if (gc === undefined) {
    try {
      // Exposes gc() to contexts created from now on; the flag changes nothing else.
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as Gc;
    } catch {
      gc = null; // a runtime without the extension: memory is then merely larger, never wrong
    }
  }
  return gc;
}

/** `bytes`: the buffers freed since the last call (default: collect now). */
export function collectYoungGarbage(bytes = Infinity): void {
  sinceLast += bytes;
  if (sinceLast < EVERY_BYTES) return;
  sinceLast = 0;
  gcFunction()?.({ type: 'minor' });
}

/**
 * A full collection. Objects of a finished seal that hold memory outside V8's heap without V8 counting
 * it (native crypto and file-handle state) are freed only by a full collection, which V8 has no reason
 * to start: sealing 1,000 small sets grew the process's malloc heap from 10 to 37 MiB while V8's heap
 * stayed flat, and one full collection per seal kept it at 5 MiB (bench/backlog.mjs). A few tens of
 * milliseconds for the daemon's heap: call it once per batch of seals, not per file.
 *
 * `reduce` also hands back the young generation V8 grew while busy (up to 2 × 16 MiB that it keeps
 * for good otherwise: the daemon's RSS rose by 32 MiB over 10,000 small seals with its heap flat).
 * V8's memory-reducing collection, a few full collections in a row: for when work is done.
 */
export function collectAllGarbage(reduce = false): void {
  sinceLast = 0;
  gcFunction()?.({ type: 'major', flavor: reduce ? 'last-resort' : 'regular' });
}

/**
 * Passes chunks on, collecting the young garbage they leave every few MiB: for streaming paths whose
 * chunks are fresh buffers (1 GiB from stdin to stdout: 131 → 81-84 MiB peak).
 */
export async function* collectingAsYouGo<T extends Uint8Array>(chunks: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const c of chunks) {
    collectYoungGarbage(c.byteLength);
    yield c;
  }
}
