/**
 * The restore status file is read by `watch`, which runs as another user in Dragonfly's group: under a
 * restrictive umask (systemd UMask=0077) it must still be 0640 and belong to the directory's owner.
 */
import { chown, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { restoreWorkspace, sealRdb, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
let umask: number | undefined;
afterEach(async () => {
  if (umask !== undefined) process.umask(umask);
  await ws?.cleanup();
  ws = umask = undefined;
});

it('is 0640 and owned like the directory, even under umask 077, after a success and a failure', async () => {
  ws = await restoreWorkspace();
  await sealRdb(ws);
  await mkdir(ws.target, { mode: 0o770 });
  await chown(ws.target, 65534, 65534);
  umask = process.umask(0o077); // inherited by the restore process, as systemd's UMask= would be
  const status = join(ws.target, '.snapshot-guard-restore.json');
  for (const key of [ws.keyB, ws.keyA]) {
    const run = await runCli([
      'restore',
      '--from',
      ws.sealed,
      '--latest',
      '--if-empty',
      '--to',
      ws.target,
      '--key-file',
      key,
    ]);
    expect(run.code === 0).toBe(key === ws.keyA);
    const st = await stat(status);
    expect((st.mode & 0o777).toString(8)).toBe('640');
    expect([st.uid, st.gid]).toEqual([65534, 65534]);
  }
});
