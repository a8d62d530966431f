/** `restore --latest --if-empty`, the command that runs before every Dragonfly start. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import {
  restoreWorkspace,
  sealDfs,
  snapshotOfDir,
  writeScannableDfs,
  type RestoreWorkspace,
} from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

const onBoot = (w: RestoreWorkspace, keyFile = w.keyA) => [
  'restore',
  '--from',
  w.sealed,
  '--latest',
  '--to',
  w.target,
  '--if-empty',
  '--key-file',
  keyFile,
];

describe('restore --if-empty', () => {
  it('does nothing when the directory already holds a complete snapshot', async () => {
    ws = await restoreWorkspace();
    await sealDfs(ws, { shards: 2 });
    await mkdir(ws.target, { mode: 0o700 });
    await writeScannableDfs(ws.target, { stem: 'dump-2026-12-01T00:00:00', shards: 2, bytesPerShard: 100 });
    const before = await snapshotOfDir(ws.target);
    const res = await runCli(onBoot(ws));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.toString()).toMatch(
      /^restore skipped: .* already holds a complete snapshot \(dump-2026-12-01T00:00:00-summary\.dfs\)/,
    );
    expect(res.stdout.toString().trim().split('\n')).toHaveLength(1);
    expect(await snapshotOfDir(ws.target)).toEqual(before);
  });

  it('does nothing, without error, when nothing was ever sealed', async () => {
    ws = await restoreWorkspace();
    await mkdir(ws.sealed, { mode: 0o700 });
    const res = await runCli(onBoot(ws));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.toString()).toMatch(
      /^restore skipped: no sealed set in .* yet \(first start\?\); Dragonfly starts empty\n$/,
    );
  });

  it('does nothing, without error, when the sealed-set directory does not exist yet (and needs no readable key)', async () => {
    ws = await restoreWorkspace();
    const res = await runCli(onBoot(ws, join(ws.root, 'no-key-yet')));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.toString()).toMatch(/does not exist yet, so nothing was ever sealed/);
    await expect(readdir(ws.target)).rejects.toThrow(/ENOENT/);
  });

  it('restores the newest set when the directory is empty', async () => {
    ws = await restoreWorkspace();
    await sealDfs(ws, { shards: 2, timeSeconds: 1_790_000_000 });
    const newest = await sealDfs(ws, { shards: 3, timeSeconds: 1_790_000_100 });
    await mkdir(ws.target, { mode: 0o700 });
    const res = await runCli(onBoot(ws));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.toString()).toContain(`restored set ${newest.setId}`);
    for (const [name, bytes] of newest.contents)
      expect((await readFile(join(ws.target, name))).equals(bytes)).toBe(true);
    // The next boot finds the restored set and leaves it alone.
    const again = await runCli(onBoot(ws));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.toString()).toMatch(/^restore skipped: .* already holds a complete snapshot/);
  });

  it('fails (so the server does not start empty) when the newest set is damaged', async () => {
    ws = await restoreWorkspace();
    const set = await sealDfs(ws, { shards: 1 });
    await writeFile(join(ws.sealed, set.setId, 'junk.rdb.sg'), 'not part of the set');
    const res = await runCli(onBoot(ws));
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/extra file not in the set manifest/);
  });
});
