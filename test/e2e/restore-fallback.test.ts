/**
 * A damaged newest set must not keep Dragonfly down: `restore --latest --if-empty` restores the newest
 * set that verifies, says loudly what it skipped, and records it; `watch` exports it (metric + alert
 * input). `--strict` keeps the old behaviour: fail.
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { Daemon, eventually } from '../helpers/daemon.js';
import { scrape } from '../helpers/metrics.js';
import { freePort } from '../helpers/ports.js';
import {
  restoreWorkspace,
  sealOlderAndDamagedNewer,
  sealRdb,
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

it('falls back to the newest set that verifies, loudly; --strict refuses; watch exports it', async () => {
  ws = await restoreWorkspace();
  const { older, newer } = await sealOlderAndDamagedNewer(ws);
  expect(newer.setId > older.setId).toBe(true);

  const args = [
    'restore',
    '--from',
    ws.sealed,
    '--latest',
    '--if-empty',
    '--to',
    ws.target,
    '--key-file',
    ws.keyA,
  ];
  const strict = await runCli([...args, '--strict']);
  expect(strict.code).toBe(3);
  expect(await readdir(ws.target).catch(() => [])).not.toContain('dump.rdb');

  const run = await runCli(args);
  expect(run.code).toBe(0);
  expect(run.stderr).toContain(`SKIPPED set ${newer.setId}: it failed verification`);
  expect(run.stdout.toString()).toContain(`restored set ${older.setId}`);
  expect(run.stdout.toString()).toContain('FELL BACK: 1 newer set(s) failed verification');
  expect(await readFile(join(ws.target, 'dump.rdb'))).toEqual(older.contents.get('dump.rdb'));
  const status = JSON.parse(await readFile(join(ws.target, '.snapshot-guard-restore.json'), 'utf8')) as {
    ok: boolean;
    setId: string;
    skipped: { setId: string }[];
  };
  expect(status.ok).toBe(true);
  expect(status.setId).toBe(older.setId);
  expect(status.skipped.map((s) => s.setId)).toEqual([newer.setId]);

  const port = await freePort();
  daemon = Daemon.start(watchTargetArgs(ws, port));
  await daemon.waitFor((l) => l.msg.startsWith('the last restore fell back'), 30_000, 'the fallback report');
  await eventually(
    async () => (await scrape(port)).get('snapshot_guard_restore_skipped_sets') === 1,
    10_000,
    'the gauge',
  );
  expect((await scrape(port)).get('snapshot_guard_restore_on_boot_total{outcome="fell_back"}')).toBe(1);
});

it('a failed restore on boot is recorded, and watch counts it (SnapshotRestoreOnBootFailed can fire)', async () => {
  ws = await restoreWorkspace();
  await sealRdb(ws);
  await mkdir(ws.target, { mode: 0o700 }); // Dragonfly's directory exists at boot
  const run = await runCli([
    'restore',
    '--from',
    ws.sealed,
    '--latest',
    '--if-empty',
    '--to',
    ws.target,
    '--key-file',
    ws.keyB,
  ]);
  expect(run.code).not.toBe(0);
  const status = JSON.parse(await readFile(join(ws.target, '.snapshot-guard-restore.json'), 'utf8')) as {
    ok: boolean;
    error: string;
  };
  expect(status.ok).toBe(false);
  expect(status.error).toContain('none of the configured keys');

  const port = await freePort();
  daemon = Daemon.start(watchTargetArgs(ws, port));
  await daemon.waitFor(
    (l) => l.msg.startsWith('the last restore into the snapshot directory failed'),
    30_000,
    'the report',
  );
  await eventually(
    async () => (await scrape(port)).get('snapshot_guard_restore_on_boot_total{outcome="failed"}') === 1,
    10_000,
    'the failed-restore count',
  );
});
