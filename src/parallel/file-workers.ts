/**
 * A small pool of worker threads for file jobs, so the files of a set are encrypted and verified on
 * every core (Node's crypto is synchronous on the calling thread). Falls back to running jobs inline
 * when the compiled worker script is not there (tests running from TypeScript sources) or for one job.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runFileJob, type FileJob, type FileJobResult, type OnProgress } from './file-jobs.js';
import { deserializeError, type SerializedError } from '../parallel/thread-errors.js';

type Reply =
  | { id: number; ok: true; result: FileJobResult }
  | { id: number; ok: false; error: SerializedError }
  | { id: number; progress: number };

const WORKER_URL = new URL('./file-worker.js', import.meta.url);

interface Pending {
  resolve: (r: FileJobResult) => void;
  reject: (e: Error) => void;
  onProgress?: OnProgress | undefined;
}

class PooledWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  readonly worker: Worker;

  constructor(onExit: () => void) {
    this.worker = new Worker(fileURLToPath(WORKER_URL));
    this.worker.unref(); // referenced only while it has work (run): an idle thread keeps no process alive
    this.worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if ('progress' in reply) return p?.onProgress?.(reply.progress);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (!p) return;
      if (reply.ok) p.resolve(reply.result);
      else p.reject(deserializeError(reply.error));
    });
    this.worker.on('error', (err: Error) => this.failAll(err));
    this.worker.on('exit', (code) => {
      onExit();
      this.failAll(new Error(`file worker exited with code ${code}`));
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  get load(): number {
    return this.pending.size;
  }

  run(job: FileJob, onProgress?: OnProgress): Promise<FileJobResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.ref();
      this.worker.postMessage({ id, job });
    });
  }
}

/**
 * The threads of the process, shared by every FileWorkers and kept once started. A thread started for
 * one set and terminated after it left most of its memory behind (malloc keeps what a thread freed):
 * the daemon's RSS after each of four 256 MiB sets rose 77 → 103 → 120 → 121 MiB and its peak 126 →
 * 153 MiB (one daemon sealing them back to back, VmRSS sampled every 5 ms), where reusing the threads
 * holds both flat.
 */
const shared: PooledWorker[] = [];

function startShared(): PooledWorker {
  const w: PooledWorker = new PooledWorker(() => {
    const i = shared.indexOf(w);
    if (i >= 0) shared.splice(i, 1); // a thread that died is replaced by the next job
  });
  shared.push(w);
  return w;
}

/** Threads the pool has started and still runs (for tests). */
export function pooledThreads(): number {
  return shared.length;
}

export class FileWorkers {
  private readonly size: number;

  /**
   * Uses up to `size` threads of the process's pool, started on demand (each costs ~20 MiB and some
   * start-up): a job finds an idle one or starts one.
   */
  constructor(size: number) {
    this.size = size > 1 && existsSync(fileURLToPath(WORKER_URL)) ? size : 0;
  }

  /** Runs a job on an idle worker (started if needed), the least busy one, or inline when there is no pool. */
  run<R extends FileJobResult>(job: FileJob, onProgress?: OnProgress): Promise<R> {
    if (this.size === 0) return runFileJob(job, onProgress) as Promise<R>;
    const mine = shared.slice(0, this.size);
    let w = mine.find((x) => x.load === 0);
    if (!w && mine.length < this.size) w = startShared();
    w ??= mine.reduce((best, x) => (x.load < best.load ? x : best));
    return w.run(job, onProgress) as Promise<R>;
  }

  /** Stops nothing: the threads are the process's, kept idle and unreferenced for the next set. */
  async close(): Promise<void> {}
}
