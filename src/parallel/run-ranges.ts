/**
 * Runs the ranges of one file (segment-range.ts) on worker threads, or inline, and with a stream as
 * the output collects the threads' batches and writes them in order. The first failure wins; every
 * thread is stopped before this returns.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { runSegmentRange, type OnWritten, type SegmentRangeTask } from './segment-range.js';
import { deserializeError, type SerializedError } from './thread-errors.js';
import type { WorkerInput } from './segment-worker.js';
import { newWriteLock } from './write-lock.js';

export const WORKER_PATH = fileURLToPath(new URL('./segment-worker.js', import.meta.url));
/**
 * Bytes each thread reads and writes in one step. 1 MiB (one default segment) rather than 4: same
 * CPU, and a 256 MiB one-shot encrypt peaks ~25 MiB lower (input buffer and outputs per thread).
 */
const BATCH_BYTES = 1024 * 1024;

/** Segments per batch for a segment size. */
export function batchFor(segmentSize: number): number {
  return Math.max(1, Math.floor(BATCH_BYTES / segmentSize));
}

export type RangeBase = Omit<SegmentRangeTask, 'worker' | 'workers' | 'batch'>;
/** Writes one batch to the output stream; resolves when the stream took it. */
export type WriteBatch = (data: Buffer) => Promise<void>;

type Message =
  | { ok: true }
  | { ok: false; error: SerializedError }
  | { batch: number; buffer: ArrayBuffer; length: number }
  | { written: number };

export interface RangeOptions {
  threads: number;
  inline?: boolean;
  shareMain?: boolean;
  /**
   * Sees each batch once it is in the output file: with its bytes as read back when the range ran on
   * this thread, without (an empty buffer) when a worker thread wrote it.
   */
  onWritten?: OnWritten;
}

/** Whether runRanges runs the ranges one after another on this thread rather than on worker threads. */
export function runsInline(opts: { inline?: boolean }): boolean {
  return opts.inline === true || !existsSync(WORKER_PATH);
}

export async function runRanges(base: RangeBase, opts: RangeOptions, writeBatch?: WriteBatch): Promise<void> {
  const workers = Math.max(1, opts.threads);
  const batch = batchFor(base.geometry.segmentSize);
  const batches = Math.ceil(base.geometry.count / batch);
  // Threads writing into one file take turns (write-lock.ts); a stream is written by this thread alone.
  const writeLock = !writeBatch && base.outFd !== undefined && workers > 1 ? newWriteLock() : undefined;
  const tasks = Array.from({ length: workers }, (_, worker) => ({
    ...base,
    batch,
    worker,
    workers,
    ...(writeLock ? { writeLock } : {}),
  }));
  if (runsInline(opts)) return runInline(tasks, batches, writeBatch, opts.onWritten);

  if (!writeBatch) {
    // shareMain: this thread takes the first share itself (one worker fewer: ~15 MiB and its start-up),
    // blocking its event loop meanwhile, which only a one-shot command with nothing else to do may.
    const [mine, others] = opts.shareMain ? [tasks[0], tasks.slice(1)] : [undefined, tasks];
    const reportWritten = opts.onWritten !== undefined;
    const threads = others.map(
      (task) => new Worker(WORKER_PATH, { workerData: { task, reportWritten } satisfies WorkerInput }),
    );
    const none = Buffer.alloc(0);
    for (const t of threads)
      t.on('message', (m: Message) => {
        if ('written' in m) opts.onWritten?.(m.written, none);
      });
    try {
      const done = Promise.all(threads.map(finished));
      done.catch(() => undefined); // observed below, or moot when this thread's share failed
      if (mine) runSegmentRange(mine, undefined, undefined, opts.onWritten);
      await done;
    } finally {
      await Promise.all(threads.map((t) => t.terminate()));
    }
    return;
  }
  const signal = new Int32Array(new SharedArrayBuffer(4 * workers));
  const channels = tasks.map(() => new MessageChannel());
  const threads = tasks.map((task, i) => {
    const returns = channels[i]?.port2;
    const workerData: WorkerInput = { task, returns, signal };
    return new Worker(WORKER_PATH, { workerData, transferList: returns ? [returns] : [] });
  });
  const back = channels.map((c) => c.port1);
  try {
    await Promise.all([...threads.map(finished), writeInOrder(threads, back, batches, signal, writeBatch)]);
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
    for (const port of back) port.close();
  }
}

/** One range after another on this thread (tests from TypeScript sources, where no worker script exists). */
async function runInline(
  tasks: SegmentRangeTask[],
  batches: number,
  writeBatch?: WriteBatch,
  onWritten?: OnWritten,
): Promise<void> {
  if (!writeBatch) {
    for (const t of tasks) runSegmentRange(t, undefined, undefined, onWritten);
    return;
  }
  const got = new Map<number, Buffer>();
  for (const t of tasks) runSegmentRange(t, (index, outputs) => got.set(index, Buffer.concat(outputs)));
  for (let i = 0; i < batches; i++) await writeBatch(got.get(i) ?? Buffer.alloc(0));
}

function finished(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.on('message', (m: Message) => {
      if (!('ok' in m)) return;
      if (m.ok) resolve();
      else reject(deserializeError(m.error));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`segment worker exited with code ${code}`)));
  });
}

/** Writes batch 0, 1, 2, … as they arrive, and sends each buffer back to its thread once written. */
function writeInOrder(
  threads: Worker[],
  back: MessagePort[],
  batches: number,
  signal: Int32Array,
  writeBatch: WriteBatch,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const ready = new Map<number, { buffer: ArrayBuffer; length: number }>();
    let next = 0;
    let writing = false;
    const pump = async (): Promise<void> => {
      if (writing) return;
      writing = true;
      try {
        for (let got = ready.get(next); got; got = ready.get(next)) {
          ready.delete(next);
          await writeBatch(Buffer.from(got.buffer, 0, got.length));
          const worker = next % threads.length; // batch b belongs to thread b mod threads
          back[worker]?.postMessage(got.buffer, [got.buffer]);
          Atomics.add(signal, worker, 1);
          Atomics.notify(signal, worker);
          next++;
        }
      } finally {
        writing = false;
      }
      if (next === batches) resolve();
      else if (ready.has(next)) await pump(); // arrived while the last write was under way
    };
    for (const t of threads) {
      t.on('message', (m: Message) => {
        if (!('batch' in m)) return;
        ready.set(m.batch, { buffer: m.buffer, length: m.length });
        pump().catch(reject);
      });
    }
  });
}
