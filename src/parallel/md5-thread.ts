/**
 * MD5 of upload parts on a worker thread (md5-worker.ts), so hashing a part overlaps with encrypting
 * the next one. A part in shared memory (sharedBuffer) is hashed there without a copy; any other, or
 * when the compiled worker script is not there (tests running from TypeScript sources) or the worker
 * failed, is hashed inline.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';

const WORKER_URL = new URL('./md5-worker.js', import.meta.url);

interface Reply {
  id: number;
  md5: Uint8Array;
}

/** A buffer the worker can read without a copy. */
export const sharedBuffer = (size: number): Buffer => Buffer.from(new SharedArrayBuffer(size));

export class Md5Thread {
  private worker: Worker | undefined;
  private broken = false;
  private nextId = 0;
  private readonly pending = new Map<number, (r: Reply | Error) => void>();

  private start(): Worker | undefined {
    if (this.worker || this.broken) return this.worker;
    if (!existsSync(fileURLToPath(WORKER_URL))) {
      this.broken = true;
      return undefined;
    }
    const w = new Worker(fileURLToPath(WORKER_URL));
    w.on('message', (r: Reply) => {
      this.pending.get(r.id)?.(r);
      this.pending.delete(r.id);
      if (this.pending.size === 0) w.unref();
    });
    const fail = (err: Error) => {
      this.broken = true;
      this.worker = undefined;
      for (const p of this.pending.values()) p(err);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`MD5 worker exited with code ${code}`)));
    w.unref(); // after the listeners (they ref it): an idle hasher never keeps the process alive
    this.worker = w;
    return w;
  }

  /** The MD5 of `part` (which must not change until this settles). */
  async digest(part: Buffer): Promise<Buffer> {
    const w = part.buffer instanceof SharedArrayBuffer ? this.start() : undefined;
    if (!w) return createHash('md5').update(part).digest();
    const id = this.nextId++;
    const reply = await new Promise<Reply | Error>((resolve) => {
      this.pending.set(id, resolve);
      w.ref(); // a part being hashed keeps the process alive until its digest is back
      w.postMessage({ id, shared: part.buffer, offset: part.byteOffset, length: part.length });
    });
    if (reply instanceof Error) throw reply;
    return Buffer.from(reply.md5);
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.broken = true;
    if (w) await w.terminate();
  }
}
