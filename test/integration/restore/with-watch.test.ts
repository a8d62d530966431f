/**
 * restore and a `watch` daemon on the same directory: the restored set is recognised through the
 * restored marker, never sealed a second time, and its plaintext is removed once "loaded" (here:
 * after --restored-grace, as without --dragonfly-url). A new snapshot is still sealed as usual.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { runCli } from '../../helpers/cli.js';
import { Daemon, eventually } from '../../helpers/daemon.js';
import { isSetId } from '../../../src/store/names.js';
import {
  restoreWorkspace,
  sealDfs,
  writeScannableDfs,
  type RestoreWorkspace,
} from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.kill();
  await ws?.cleanup();
  ws = daemon = undefined;
});

const sets = async (w: RestoreWorkspace) => (await readdir(w.sealed)).filter(isSetId);

describe('restore, then watch', () => {
  it('does not seal the restored set again and removes its plaintext after the grace period', async () => {
    ws = await restoreWorkspace();
    const sealed = await sealDfs(ws, { shards: 3 });
    const res = await runCli([
      'restore',
      '--from',
      ws.sealed,
      '--latest',
      '--to',
      ws.target,
      '--key-file',
      ws.keyA,
    ]);
    expect(res.code, res.stderr).toBe(0);

    daemon = Daemon.start([
      '--dir',
      ws.target,
      '--out',
      ws.sealed,
      '--key-file',
      ws.keyA,
      '--metrics-addr',
      'off',
      '--rescan-interval',
      '1s',
      '--restored-grace',
      '1s',
      '--segment-size',
      '64KiB',
    ]);
    await daemon.waitFor(
      (l) => /restored snapshot; removed its plaintext/.test(l.msg),
      60_000,
      'restored plaintext removed',
    );
    expect(await sets(ws)).toEqual([sealed.setId]);
    await eventually(
      async () => (await readdir(ws!.target)).filter((n) => n.endsWith('.dfs')).length === 0,
      30_000,
    );
    expect(daemon.count((l) => l.msg.startsWith('sealed snapshot set'))).toBe(0);

    // A snapshot Dragonfly writes afterwards is new data: it is sealed.
    await writeScannableDfs(ws.target, { stem: 'dump-2026-12-01T00:00:00', shards: 2, bytesPerShard: 1000 });
    await daemon.waitForSealed(1, 60_000);
    expect(await sets(ws)).toHaveLength(2);
  });
});
