/**
 * `restore --latest --max-age`: deleting the newest sets leaves an older chain that is intact and
 * authentic; only its age gives it away. A stale newest set is refused (flag or config file); with
 * --if-empty (restore on boot) it is restored anyway, loudly, and recorded so that `watch` counts it
 * (snapshot_guard_restore_on_boot_total{outcome="stale"}, alert SnapshotRestoredStale).
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { Daemon, eventually } from '../helpers/daemon.js';
import { scrape } from '../helpers/metrics.js';
import { freePort } from '../helpers/ports.js';
import {
  restoreWorkspace,
  sealDfs,
  watchTargetArgs,
  type RestoreWorkspace,
} from '../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.kill();
  await ws?.cleanup();
  ws = daemon = undefined;
});

const threeHoursAgo = () => Math.floor(Date.now() / 1000) - 3 * 3600;
const restore = (w: RestoreWorkspace, ...extra: string[]) =>
  runCli(['restore', '--from', w.sealed, '--latest', '--to', w.target, '--key-file', w.keyA, ...extra]);

it('refuses a newest set older than --max-age in one line (flag or config file); a larger one restores', async () => {
  ws = await restoreWorkspace();
  const { setId } = await sealDfs(ws, { shards: 2, bytesPerShard: 5000, timeSeconds: threeHoursAgo() });

  let r = await restore(ws, '--max-age', '1h');
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(`refusing to restore: the newest sealed set ${setId} is a snapshot of`);
  expect(r.stderr).toContain('older than --max-age 1h: newer sets may have been deleted, or sealing stopped');
  expect(await readdir(ws.target).catch(() => [])).toEqual([]);

  const config = join(ws.root, 'restore.yaml');
  await writeFile(config, 'max-age: 90m\n', { mode: 0o600 });
  r = await restore(ws, '--config', config);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('older than --max-age 90m');

  r = await restore(ws, '--max-age', '4h');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.toString()).toContain(`restored set ${setId}`);
});

it('with --if-empty restores the stale set anyway, loudly, and watch counts it', async () => {
  ws = await restoreWorkspace();
  const { setId, contents } = await sealDfs(ws, {
    shards: 2,
    bytesPerShard: 5000,
    timeSeconds: threeHoursAgo(),
  });

  const r = await restore(ws, '--if-empty', '--max-age', '1h');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain(`snapshot-guard: ERROR: the newest sealed set ${setId}`);
  expect(r.stderr).toContain('restoring it anyway (--if-empty: Dragonfly must start)');
  for (const [name, bytes] of contents) expect(await readFile(join(ws.target, name))).toEqual(bytes);
  const status = JSON.parse(await readFile(join(ws.target, '.snapshot-guard-restore.json'), 'utf8')) as {
    ok: boolean;
    stale?: { setId: string; maxAgeSeconds: number };
  };
  expect(status.ok).toBe(true);
  expect(status.stale).toMatchObject({ setId, maxAgeSeconds: 3600 });

  const port = await freePort();
  daemon = Daemon.start(watchTargetArgs(ws, port));
  await daemon.waitFor(
    (l) => l.msg.startsWith('the last restore on boot restored a set older than --max-age'),
    30_000,
    'the stale-restore report',
  );
  await eventually(
    async () => (await scrape(port)).get('snapshot_guard_restore_on_boot_total{outcome="stale"}') === 1,
    10_000,
    'the stale-restore count',
  );
});

it('a fresh restore with --if-empty --max-age records nothing stale', async () => {
  ws = await restoreWorkspace();
  await sealDfs(ws, { shards: 2, bytesPerShard: 5000 });
  const r = await restore(ws, '--if-empty', '--max-age', '1h');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).not.toContain('ERROR');
  const status = JSON.parse(await readFile(join(ws.target, '.snapshot-guard-restore.json'), 'utf8')) as {
    stale?: unknown;
  };
  expect(status.stale).toBeUndefined();
});
