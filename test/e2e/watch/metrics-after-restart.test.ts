/**
 * A restarted daemon rebuilds the last seal's gauges from the newest sealed set, so dashboards do not
 * go blank and SnapshotSizeJump/SnapshotNotVerifiedRecently have something to compare.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { Daemon, eventually } from '../../helpers/daemon.js';
import { scrape } from '../../helpers/metrics.js';
import { freePort } from '../../helpers/ports.js';
import { workspace, type Workspace } from '../../helpers/watch-fixtures.js';

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

it('last success time, file sizes and last verification come back after a restart', async () => {
  const body = Buffer.concat([Buffer.from('REDIS0011'), Buffer.alloc(12_345, 1)]);
  await writeFile(join(ws.df, 'dump.rdb'), body);
  const sealed = await runCli(['watch', '--once', ...ws.args()]);
  expect(sealed.code, sealed.stderr).toBe(0);
  const [setId] = (await readdir(ws.out)).filter((n) => !n.startsWith('.'));
  const info = JSON.parse(await readFile(join(ws.out, setId ?? '', 'set.json'), 'utf8')) as {
    sealedAt: string;
  };
  const status = JSON.parse(await readFile(join(ws.out, setId ?? '', 'status.json'), 'utf8')) as {
    verifiedAt: string;
  };

  const port = await freePort();
  daemon = Daemon.start(ws.args('--metrics-addr', `127.0.0.1:${port}`));
  await daemon.waitFor((l) => l.msg === 'watching for finished snapshots');
  await eventually(
    async () => ((await scrape(port)).get('dragonfly_snapshot_last_success_timestamp_seconds') ?? 0) > 0,
    10_000,
    'the gauge',
  );
  const m = await scrape(port);
  expect(m.get('dragonfly_snapshot_last_success_timestamp_seconds')).toBe(Date.parse(info.sealedAt) / 1000);
  expect(m.get('snapshot_guard_last_verification_success_timestamp_seconds')).toBe(
    Date.parse(status.verifiedAt) / 1000,
  );
  expect(m.get('dragonfly_snapshot_file_size_bytes{role="rdb"}')).toBe(body.length);
  expect(m.get('snapshot_guard_seal_successes_total')).toBe(0); // no counter moves: nothing was sealed now
});
