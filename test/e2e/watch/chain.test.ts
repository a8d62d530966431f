/**
 * A running daemon notices sealed sets deleted behind its back: the set it sealed last, when it is
 * gone at the next seal (an error, and the new set still names it), and any gap in the chain at its
 * scheduled check (`--verify-every`: a log line per broken link and snapshot_guard_chain_broken_links).
 */
import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Daemon, eventually, type LogLine } from '../../helpers/daemon.js';
import { scrape } from '../../helpers/metrics.js';
import { freePort } from '../../helpers/ports.js';
import { workspace, type Workspace } from '../../helpers/watch-fixtures.js';
import { setIdFor } from '../../../src/store/names.js';

let ws: Workspace;
let daemon: Daemon | undefined;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => {
  await daemon?.kill();
  daemon = undefined;
  await ws.cleanup();
});

const BASE = Math.floor(Date.now() / 1000) - 3600;

/** Dragonfly's way: a temporary file renamed to dump.rdb; its mtime is the snapshot time (the set id). */
async function snapshot(minutes: number): Promise<string> {
  const tmp = join(ws.df, 'dump.rdb.tmp');
  await writeFile(tmp, Buffer.concat([Buffer.from('REDIS0011'), randomBytes(20_000), Buffer.from([0xff])]), {
    mode: 0o600,
  });
  const t = BASE + minutes * 60;
  await utimes(tmp, t, t);
  await rename(tmp, join(ws.df, 'dump.rdb'));
  return setIdFor(t * 1000, 'dump');
}

const published = async () => (await readdir(ws.out)).filter((n) => !n.startsWith('.')).sort();

it('the newest set deleted while watching is named by the next set, and the scheduled check reports the gap', async () => {
  const port = await freePort();
  daemon = Daemon.start(ws.args('--metrics-addr', `127.0.0.1:${port}`, '--verify-every', '1s'));
  const a = await snapshot(0);
  await daemon.waitForSealed(1);
  const b = await snapshot(1);
  await daemon.waitForSealed(2);
  expect(await published()).toEqual([a, b]);
  // A check that found the chain whole has run (the newest set is b, and a scheduled check followed).
  const intact = (l: LogLine) => l.msg.includes('the newest sealed set is intact') && l['setId'] === b;
  await daemon.waitFor(intact, 15_000, `a scheduled check of ${b}`);
  expect((await scrape(port)).get('snapshot_guard_chain_broken_links')).toBe(0);

  // Someone deletes b, the newest set; the daemon seals c next.
  await rm(join(ws.out, b), { recursive: true });
  const c = await snapshot(2);
  await daemon.waitForSealed(3);
  const gone = await daemon.waitFor((l) => l.msg.includes('the last one this process sealed, is gone'));
  expect(gone.msg).toContain(`set ${b}`);
  expect(gone.level).toBe(50);
  expect(await published()).toEqual([a, c]);

  // The scheduled check follows c's link to b: gone while the older a remains.
  await eventually(
    async () => (await scrape(port)).get('snapshot_guard_chain_broken_links') === 1,
    15_000,
    'snapshot_guard_chain_broken_links 1',
  );
  const broken = await daemon.waitFor((l) => l.msg.startsWith('chain of sealed sets broken'));
  expect(broken.level).toBe(50);
  expect(broken.msg).toContain(`set ${c} names ${b} as the set sealed before it, but ${b} is gone`);
  expect(broken['kind']).toBe('missing');
});
