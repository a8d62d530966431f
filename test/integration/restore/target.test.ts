/**
 * `restore --to` on targets an operator will try: kernel file systems (the real /proc and /sys), a path
 * under a dangling symbolic link, missing parents with --owner, and `--if-empty` in front of a snapshot
 * file that is there but not whole. Every refusal is one line, exit 1, and leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import {
  restoreWorkspace,
  sealDfs,
  sealRdb,
  snapshotOfDir,
  writeScannableDfs,
  type RestoreWorkspace,
} from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

const restoreTo = (w: RestoreWorkspace, to: string, ...extra: string[]) =>
  runCli(['restore', '--from', w.sealed, '--latest', '--to', to, '--key-file', w.keyA, ...extra], {
    timeoutMs: 30_000,
  });

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

describe('restore --to', () => {
  it.each([
    ['/proc/snapshot-guard-test', /proc/],
    ['/sys/snapshot-guard-test', /sysfs/],
    ['/sys/kernel', /sysfs/],
  ])('refuses %s (a kernel file system) at once, exit 1, without spinning', async (to, kind) => {
    ws = await restoreWorkspace();
    await sealRdb(ws);
    const r = await restoreTo(ws, to);
    expect(r.code, r.stderr).toBe(1);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`${to} is on the kernel's ${kind.source} file system`));
  });

  it('names a dangling symbolic link and its missing target, exit 1', async () => {
    ws = await restoreWorkspace();
    await sealRdb(ws);
    const link = join(ws.root, 'data');
    await symlink(join(ws.root, 'volume-not-mounted'), link);
    for (const to of [link, join(link, 'dragonfly')]) {
      const r = await restoreTo(ws, to);
      expect(r.code, r.stderr).toBe(1);
      expect(oneLine(r.stderr)).toContain(
        `${link} is a symbolic link to ${join(ws.root, 'volume-not-mounted')}, which does not exist`,
      );
    }
  });

  it('creates every missing level 0700 and gives each to --owner, so the server can enter them', async () => {
    ws = await restoreWorkspace();
    const set = await sealRdb(ws);
    const uid = Number(execFileSync('id', ['-u', 'nobody']).toString());
    const gid = Number(execFileSync('id', ['-g', 'nobody']).toString());
    const to = join(ws.root, 'srv', 'dragonfly', 'data');
    const r = await restoreTo(ws, to, '--owner', `${uid}:${gid}`);
    expect(r.code, r.stderr).toBe(0);
    for (const dir of [join(ws.root, 'srv'), join(ws.root, 'srv', 'dragonfly'), to]) {
      const st = await stat(dir);
      expect({ dir, uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({
        dir,
        uid,
        gid,
        mode: 0o700,
      });
    }
    expect(
      (await readFile(join(to, 'dump.rdb'))).equals(set.contents.get('dump.rdb') ?? Buffer.alloc(1)),
    ).toBe(true);
  });

  it('removes the levels it created when the restore fails', async () => {
    ws = await restoreWorkspace();
    const set = await sealRdb(ws);
    await writeFile(join(ws.sealed, set.setId, 'junk.rdb.sg'), 'not part of the set');
    const r = await restoreTo(ws, join(ws.root, 'a', 'b', 'c'));
    expect(r.code).toBe(3);
    expect(await snapshotOfDir(join(ws.root, 'a'))).toEqual({ '<missing>': '' });
  });
});

describe('restore --if-empty with a snapshot file that is not whole', () => {
  const onBoot = (w: RestoreWorkspace, ...extra: string[]) =>
    runCli([
      'restore',
      '--from',
      w.sealed,
      '--latest',
      '--to',
      w.target,
      '--if-empty',
      '--key-file',
      w.keyA,
      ...extra,
    ]);

  it('does not skip a 0-byte dump.rdb: it says why and restores (replacing it only with --force)', async () => {
    ws = await restoreWorkspace();
    const set = await sealRdb(ws);
    await mkdir(ws.target, { mode: 0o700 });
    await writeFile(join(ws.target, 'dump.rdb'), '');
    const refused = await onBoot(ws);
    expect(refused.stdout.toString()).toContain(
      `${join(ws.target, 'dump.rdb')} is not a complete snapshot (dump.rdb: 0 bytes, shorter than any snapshot)`,
    );
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(
      /dump\.rdb already exists; refusing to overwrite it \(pass --force/,
    );
    const forced = await onBoot(ws, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(
      (await readFile(join(ws.target, 'dump.rdb'))).equals(set.contents.get('dump.rdb') ?? Buffer.alloc(1)),
    ).toBe(true);
  });

  it('does not skip an .rdb cut short (no end marker)', async () => {
    ws = await restoreWorkspace();
    await sealRdb(ws);
    await mkdir(ws.target, { mode: 0o700 });
    const other = join(ws.root, 'other');
    await mkdir(other);
    await runCli(['restore', '--from', ws.sealed, '--latest', '--to', other, '--key-file', ws.keyA]);
    const cut = join(ws.target, 'old.rdb');
    await writeFile(cut, await readFile(join(other, 'dump.rdb')));
    await truncate(cut, 100);
    const r = await onBoot(ws);
    expect(r.stdout.toString()).toContain('old.rdb: it does not end with the RDB end marker');
    expect(r.code, r.stderr).toBe(0); // another name: the restored dump.rdb is newer and is loaded
    expect(r.stdout.toString()).toMatch(/restored set/);
  });

  it('does not skip a DFS summary whose shards are missing', async () => {
    ws = await restoreWorkspace();
    await sealDfs(ws, { shards: 2 });
    await mkdir(ws.target, { mode: 0o700 });
    const stem = 'dump-2026-12-01T00:00:00';
    await writeScannableDfs(ws.target, { stem, shards: 2, bytesPerShard: 100 });
    await rm(join(ws.target, `${stem}-0001.dfs`));
    const r = await onBoot(ws);
    expect(r.stdout.toString()).toMatch(new RegExp(`${stem}-summary\\.dfs is not a complete snapshot`));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/restored set/);
  });
});
