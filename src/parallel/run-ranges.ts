/**
 * Runs the ranges of one file (segment-range.ts) on worker threads, or inline: into the output file
 * at offsets, or to a pipe or device in file order (ordered-writes.ts). The first failure wins; every
 * thread is stopped before this returns.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runSegmentRange, type BatchSink, type OnWritten, type SegmentRangeTask } from './segment-range.js';
import { deserializeError, type SerializedError } from './thread-errors.js';
import type { WorkerInput } from './segment-worker.js';
import { newWriteLock } from './write-lock.js';
import { newTurns, stopAll, StoppedError, writeAllSync, writeInTurn, type Turns } from './ordered-writes.js';

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

type Message = { ok: true } | { ok: false; error: SerializedError } | { written: number };

export interface RangeOptions {
  threads: number;
  inline?: boolean;
  /**
   * This thread takes the first share itself (one worker fewer: ~15 MiB and its start-up), blocking
   * its event loop meanwhile, which only a one-shot command with nothing else to do may.
   */
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

/**
 * Runs every range of `base`: into `base.outFd` at offsets, or, with `orderedFd` (a pipe or device
 * such as stdout, which has no offsets), written to it in file order.
 */
export async function runRanges(base: RangeBase, opts: RangeOptions, orderedFd?: number): Promise<void> {
  const workers = Math.max(1, opts.threads);
  const batch = batchFor(base.geometry.segmentSize);
  // Threads writing into one file take turns (write-lock.ts).
  const writeLock =
    orderedFd === undefined && base.outFd !== undefined && workers > 1 ? newWriteLock() : undefined;
  const tasks = Array.from({ length: workers }, (_, worker) => ({
    ...base,
    batch,
    worker,
    workers,
    ...(writeLock ? { writeLock } : {}),
    // To a pipe, collecting after every batch cost a fifth of the CPU (1 GiB to /dev/null: 0.46 →
    // 0.37 s, 0.8 → 0.6 CPU-s, 94 → 103 MiB). Into files the gain is small and the memory counts:
    // the daemon's pool threads seal that way.
    ...(orderedFd !== undefined ? { collectEveryFewMiB: true } : {}),
  }));
  if (runsInline(opts))
    return runInline(tasks, Math.ceil(base.geometry.count / batch), orderedFd, opts.onWritten);

  const ordered = orderedFd === undefined ? undefined : { fd: orderedFd, turns: newTurns() };
  const [mine, others] = opts.shareMain ? [tasks[0], tasks.slice(1)] : [undefined, tasks];
  const reportWritten = opts.onWritten !== undefined;
  const threads = others.map(
    (task) =>
      new Worker(WORKER_PATH, {
        workerData: { task, reportWritten, ...(ordered ? { ordered } : {}) } satisfies WorkerInput,
      }),
  );
  const none = Buffer.alloc(0);
  for (const t of threads)
    t.on('message', (m: Message) => {
      if ('written' in m) opts.onWritten?.(m.written, none);
    });
  try {
    const done = ordered ? allEnded(threads, ordered.turns) : Promise.all(threads.map(finished));
    done.catch(() => undefined); // observed below, or moot when this thread's share failed
    if (mine) {
      try {
        runSegmentRange(mine, ordered ? inTurn(ordered) : undefined, undefined, opts.onWritten);
      } catch (err) {
        if (!ordered) throw err;
        stopAll(ordered.turns);
        if (!(err instanceof StoppedError)) throw err;
        // Another thread failed first: its error, reported below, is the cause.
      }
    }
    await done;
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

function inTurn(ordered: { fd: number; turns: Turns }): BatchSink {
  return (index, outputs) => writeInTurn(ordered.turns, ordered.fd, index, outputs);
}

/**
 * Every thread's end, for threads writing in turns: a thread that fails stops the others, which then
 * end with StoppedError; the error reported is the one that is not, whichever thread's arrives first.
 */
async function allEnded(threads: Worker[], turns: Turns): Promise<void> {
  const ends = await Promise.allSettled(
    threads.map((t) =>
      finished(t).catch((err: unknown) => {
        stopAll(turns);
        throw err;
      }),
    ),
  );
  const errors = ends.flatMap((e) => (e.status === 'rejected' ? [e.reason as unknown] : []));
  if (errors.length > 0) throw errors.find((e) => !(e instanceof StoppedError)) ?? errors[0];
}

/** One range after another on this thread (tests from TypeScript sources, where no worker script exists). */
function runInline(
  tasks: SegmentRangeTask[],
  batches: number,
  orderedFd: number | undefined,
  onWritten?: OnWritten,
): void {
  if (orderedFd === undefined) {
    for (const t of tasks) runSegmentRange(t, undefined, undefined, onWritten);
    return;
  }
  // A range cannot wait here for another's turn: keep every batch, then write them in order.
  const got = new Map<number, Buffer>();
  for (const t of tasks) runSegmentRange(t, (index, outputs) => got.set(index, Buffer.concat(outputs)));
  for (let i = 0; i < batches; i++) writeAllSync(orderedFd, got.get(i) ?? Buffer.alloc(0));
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
