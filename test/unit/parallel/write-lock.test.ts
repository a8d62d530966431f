/**
 * The write lock (src/parallel/write-lock.ts) between real worker threads, as the compiled build runs
 * it: never two holders at once, and released however the locked work ends.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PROJECT_ROOT } from '../../helpers/cli.js';
import type * as WriteLockModule from '../../../src/parallel/write-lock.js';

const MODULE_URL = pathToFileURL(join(PROJECT_ROOT, 'dist/parallel/write-lock.js')).href;
const load = async () => (await import(MODULE_URL)) as typeof WriteLockModule;

// Each thread enters the lock `rounds` times; inside it counts the holders, and increments a shared
// total non-atomically with a pause between read and write, so overlapping holders would lose updates.
const THREAD = `
  import { workerData, parentPort } from 'node:worker_threads';
  const { withWriteLock } = await import(workerData.moduleUrl);
  const { lock, inside, most, total, rounds } = workerData;
  for (let r = 0; r < rounds; r++) {
    withWriteLock(lock, () => {
      const now = Atomics.add(inside, 0, 1) + 1;
      if (now > Atomics.load(most, 0)) Atomics.store(most, 0, now);
      const seen = total[0];
      for (let spin = 0; spin < 2000; spin++) Math.sqrt(spin);
      total[0] = seen + 1;
      Atomics.sub(inside, 0, 1);
    });
  }
  parentPort.postMessage('done');
`;

const shared = () => new Int32Array(new SharedArrayBuffer(4));

function run(workerData: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(THREAD)}`), { workerData });
    w.once('message', () => resolve());
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`thread exited with ${code}`))));
  });
}

describe('write lock', () => {
  it('lets one thread at a time write: three threads, no lost update, never two holders', async () => {
    const { newWriteLock } = await load();
    const data = {
      moduleUrl: MODULE_URL,
      lock: newWriteLock(),
      inside: shared(),
      most: shared(),
      total: shared(),
    };
    const rounds = 3000;
    await Promise.all([0, 1, 2].map(() => run({ ...data, rounds })));
    expect(data.most[0]).toBe(1);
    expect(data.total[0]).toBe(3 * rounds);
    expect(data.lock[0]).toBe(0);
  });

  it('is released when the locked work throws, and can be taken again', async () => {
    const { newWriteLock, withWriteLock } = await load();
    const lock = newWriteLock();
    expect(() =>
      withWriteLock(lock, () => {
        throw new Error('ENOSPC');
      }),
    ).toThrow('ENOSPC');
    expect(lock[0]).toBe(0);
    expect(withWriteLock(lock, () => 'written')).toBe('written');
  });

  it('without a lock runs the work directly', async () => {
    const { withWriteLock } = await load();
    expect(withWriteLock(undefined, () => 42)).toBe(42);
  });
});
