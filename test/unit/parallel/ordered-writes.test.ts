/**
 * Taking turns to write batches in file order (src/parallel/ordered-writes.ts), on real worker
 * threads of the compiled build: bytes land in batch order whoever makes them, and a failure stops
 * every waiting thread instead of leaving it waiting for a turn that never comes.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PROJECT_ROOT } from '../../helpers/cli.js';
import type * as OrderedWrites from '../../../src/parallel/ordered-writes.js';

const MODULE_URL = pathToFileURL(join(PROJECT_ROOT, 'dist/parallel/ordered-writes.js')).href;
const load = async () => (await import(MODULE_URL)) as typeof OrderedWrites;

// Thread `me` of `of` writes batches me, me + of, … (batch i is i repeated 1000 times), after a pause
// that makes the threads finish their batches out of order; reports how it ended.
const THREAD = `
  import { workerData, parentPort } from 'node:worker_threads';
  const { writeInTurn } = await import(workerData.moduleUrl);
  const { turns, fd, me, of, batches, failAt } = workerData;
  try {
    for (let i = me; i < batches; i += of) {
      const until = Date.now() + ((i * 7) % 5);
      while (Date.now() < until);
      if (i === failAt) throw new Error('disk on fire');
      writeInTurn(turns, fd, i, [Buffer.alloc(1000, i)]);
    }
    parentPort.postMessage({ ok: true });
  } catch (err) {
    parentPort.postMessage({ ok: false, name: err.name, message: err.message });
  }
`;

function thread(workerData: object): Promise<{ ok: boolean; name?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(THREAD)}`), { workerData });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

describe('ordered writes', () => {
  it('three threads write 30 batches to one descriptor in batch order', async () => {
    const { newTurns } = await load();
    const dir = await mkdtemp(join(tmpdir(), 'sg-ordered-'));
    const fh = await open(join(dir, 'out'), 'w');
    try {
      const common = { moduleUrl: MODULE_URL, turns: newTurns(), fd: fh.fd, of: 3, batches: 30, failAt: -1 };
      const ends = await Promise.all([0, 1, 2].map((me) => thread({ ...common, me })));
      expect(ends.every((e) => e.ok)).toBe(true);
      const bytes = await readFile(join(dir, 'out'));
      expect(bytes.length).toBe(30_000);
      for (let i = 0; i < 30; i++)
        expect(bytes.subarray(i * 1000, (i + 1) * 1000).every((b) => b === i)).toBe(true);
    } finally {
      await fh.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a failing thread stops the others: they end with StoppedError, nothing is written out of order', async () => {
    const { newTurns, stopAll } = await load();
    const dir = await mkdtemp(join(tmpdir(), 'sg-ordered-'));
    const fh = await open(join(dir, 'out'), 'w');
    try {
      const turns = newTurns();
      const common = { moduleUrl: MODULE_URL, turns, fd: fh.fd, of: 3, batches: 30, failAt: 7 };
      const ends = await Promise.all(
        [0, 1, 2].map((me) =>
          thread({ ...common, me }).then((end) => {
            if (!end.ok) stopAll(turns); // what the main thread does when a thread reports a failure
            return end;
          }),
        ),
      );
      expect(ends[1]).toMatchObject({ ok: false, message: 'disk on fire' });
      expect(ends[0]).toMatchObject({ ok: false, name: 'StoppedError' });
      expect(ends[2]).toMatchObject({ ok: false, name: 'StoppedError' });
      // What was written is batches 0, 1, 2, … in order, stopping before the failed batch 7 (those
      // before it whose turn had not come yet when the others were stopped are not written either).
      const bytes = await readFile(join(dir, 'out'));
      expect(bytes.length % 1000).toBe(0);
      expect(bytes.length).toBeLessThanOrEqual(7000);
      for (let i = 0; i < bytes.length / 1000; i++)
        expect(bytes.subarray(i * 1000, (i + 1) * 1000).every((b) => b === i)).toBe(true);
    } finally {
      await fh.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
