/**
 * The daemon under a burst of file-system events: events are coalesced, so the directory is scanned
 * once per pass however many snapshots arrive; and what it remembers about problems in the directory
 * is what the last scan found, not everything it ever saw. The Watcher runs in this process so the
 * test can read its scan count; everything else is real (files, renames, the local store, shredding).
 */
import { mkdir, open, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { noopObserver } from '../../../src/observe/observer.js';
import { Watcher } from '../../../src/seal/watcher.js';
import { LocalStore } from '../../../src/store/local/local-store.js';
import { eventually } from '../../helpers/daemon.js';
import { workspace, type Workspace } from '../../helpers/watch-fixtures.js';

let ws: Workspace | undefined;
let watcher: Watcher | undefined;
afterEach(async () => {
  await watcher?.stop(10_000);
  watcher = undefined;
  await ws?.cleanup();
  ws = undefined;
});

/** Warnings the watcher logged, collected from a real pino logger writing into memory. */
function recordingLogger(): { log: pino.Logger; warnings: string[] } {
  const warnings: string[] = [];
  const log = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        const l = JSON.parse(line) as { level: number; msg: string };
        if (l.level === 40) warnings.push(l.msg);
      },
    },
  );
  return { log, warnings };
}

async function startWatcher(w: Workspace, log: pino.Logger): Promise<Watcher> {
  await mkdir(w.out, { mode: 0o700 });
  const store = new LocalStore(w.out);
  await store.prepare();
  const watcher = new Watcher({
    keyring: w.keyring,
    store,
    dragonflyDir: w.df,
    instance: 'test',
    segmentSize: 64 * 1024,
    shredMode: 'overwrite',
    parallelism: 2,
    observer: noopObserver,
    log,
    // No periodic rescan during the test: every scan comes from an event or the start.
    rescanIntervalMs: 3_600_000,
    retryInitialMs: 1000,
    retryMaxMs: 5000,
    retention: { keepLast: 10 },
    restored: { graceMs: 1000 },
  });
  await watcher.start();
  return watcher;
}

const rdb = (i: number) => Buffer.concat([Buffer.from('REDIS0011'), Buffer.alloc(2000 + i, i % 256)]);

it('a burst of 300 snapshots renamed in while watching is sealed with a few scans, not one per event', async () => {
  ws = await workspace();
  const { log } = recordingLogger();
  watcher = await startWatcher(ws, log);
  await watcher.idle();
  const staging = join(ws.root, 'incoming');
  await mkdir(staging);
  const names = Array.from({ length: 300 }, (_, i) => `dump-${String(i).padStart(4, '0')}.rdb`);
  for (const [i, n] of names.entries()) await writeFile(join(staging, n), rdb(i));
  const scansBefore = watcher.scans;
  for (const n of names) await rename(join(staging, n), join(ws.df, n));

  const df = ws.df;
  await eventually(async () => (await readdir(df)).every((n) => n.startsWith('.')), 60_000, 'all sealed');
  await watcher.stop(10_000);
  expect((await new LocalStore(ws.out).listSets()).length).toBe(10); // --keep-last 10
  // 300 renames and ~600 events from shredding: a pass scans once, events during it add one pass.
  expect(watcher.scans - scansBefore).toBeLessThanOrEqual(6);
});

it('seals a finished snapshot while another file keeps changing (events never pause)', async () => {
  ws = await workspace();
  const { log } = recordingLogger();
  watcher = await startWatcher(ws, log);
  await watcher.idle();
  // Dragonfly writing a large shard: its .tmp file changes every few milliseconds for a long time.
  const fh = await open(join(ws.df, 'dump-big-0000.dfs.tmp'), 'w');
  let writing = true;
  const writer = (async () => {
    while (writing) {
      await fh.write(Buffer.alloc(4096, 1));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await writeFile(join(ws.root, 'dump.rdb'), rdb(1));
    await rename(join(ws.root, 'dump.rdb'), join(ws.df, 'dump.rdb'));
    const df = ws.df;
    // The periodic rescan is an hour away: only the events can get this sealed.
    await eventually(async () => !(await readdir(df)).includes('dump.rdb'), 15_000, 'dump.rdb sealed');
  } finally {
    writing = false;
    await writer;
    await fh.close();
  }
});

it('forgets a problem once the directory no longer has it, and warns again if it comes back', async () => {
  ws = await workspace();
  const { log, warnings } = recordingLogger();
  watcher = await startWatcher(ws, log);
  const link = join(ws.df, 'dump.rdb');
  const problem = 'dump.rdb: is a symbolic link; ignored (snapshot-guard never follows links)';
  const seen = () => warnings.filter((m) => m === problem).length;

  await symlink('/nonexistent', link);
  await eventually(() => seen() === 1, 10_000, 'the first warning');
  await rm(link);
  const w = watcher;
  await eventually(() => w.problemsRemembered === 0, 10_000, 'the problem forgotten');
  await symlink('/nonexistent', link);
  await eventually(() => seen() === 2, 10_000, 'the warning again');
});
