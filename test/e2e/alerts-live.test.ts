/**
 * Alerts must be alive: a real Prometheus scrapes a real daemon with deploy/prometheus/alerts.yml
 * loaded, and each alert below goes pending or firing from the daemon's real behaviour (promtool tests
 * with made-up series cannot catch an alert whose series the daemon never produces).
 */
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { Daemon, eventually } from '../helpers/daemon.js';
import { freePort } from '../helpers/ports.js';
import { PrometheusServer } from '../helpers/prometheus-server.js';
import {
  restoreWorkspace,
  sealOlderAndDamagedNewer,
  watchTargetArgs,
  type RestoreWorkspace,
} from '../helpers/restore-fixtures.js';

const NOBODY = { uid: 65534, gid: 65534 };
let ws: RestoreWorkspace | undefined;
let daemon: Daemon | undefined;
let prometheus: PrometheusServer | undefined;
afterEach(async () => {
  await daemon?.kill();
  await prometheus?.stop();
  await ws?.cleanup();
  ws = daemon = prometheus = undefined;
});

it('SnapshotRestoreFellBack and SnapshotSealFailing come from real behaviour', async () => {
  ws = await restoreWorkspace();
  // A restore that falls back: the newest set is damaged.
  await sealOlderAndDamagedNewer(ws);
  await mkdir(ws.target, { mode: 0o700 });
  const restore = await runCli([
    'restore',
    '--from',
    ws.sealed,
    '--latest',
    '--if-empty',
    '--to',
    ws.target,
    '--key-file',
    ws.keyA,
  ]);
  expect(restore.code, restore.stderr).toBe(0);

  // Then a snapshot the daemon (running as nobody) may not read: seals fail with "permission".
  await writeFile(
    join(ws.target, 'later.rdb'),
    Buffer.concat([Buffer.from('REDIS0011'), Buffer.alloc(500)]),
    { mode: 0o600 },
  );
  for (const p of [ws.root, ws.target, ws.sealed, ws.keyA]) await chown(p, NOBODY.uid, NOBODY.gid);
  await chown(join(ws.target, '.snapshot-guard-restore.json'), NOBODY.uid, NOBODY.gid);

  const port = await freePort();
  daemon = Daemon.start(watchTargetArgs(ws, port, '--retry-max', '2s'), {}, NOBODY);
  await daemon.waitFor((l) => l.msg.startsWith('could not seal'), 30_000, 'the permission failure');
  prometheus = await PrometheusServer.start(port);
  const wanted = ['SnapshotRestoreFellBack', 'SnapshotSealFailing'];
  await eventually(
    async () => {
      const active = new Set((await prometheus!.alerts()).map((a) => a.name));
      return wanted.every((n) => active.has(n));
    },
    60_000,
    `alerts ${wanted.join(', ')} pending or firing`,
  );
  const alerts = await prometheus.alerts();
  expect(alerts.find((a) => a.name === 'SnapshotSealFailing')?.labels.reason).toBe('permission');
  expect(alerts.some((a) => a.name === 'SnapshotGuardDown')).toBe(false);
});
