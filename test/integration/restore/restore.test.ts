/** `snapshot-guard restore` of a sealed 8-shard DFS set, through the real CLI on real files. */
import { afterEach, describe, expect, it } from 'vitest';
import { lstat, mkdir, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { readRestoredMarker } from '../../../src/snapshots/restored-marker.js';
import { scanDirectory } from '../../../src/snapshots/scan.js';
import {
  restoreWorkspace,
  sealDfs,
  sealRdb,
  snapshotOfDir,
  type RestoreWorkspace,
} from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

const STEM = 'dump-2026-11-23T17:40:00';

function restoreArgs(w: RestoreWorkspace, ...extra: string[]): string[] {
  return ['restore', '--from', w.sealed, '--latest', '--to', w.target, '--key-file', w.keyA, ...extra];
}

async function expectIdentical(dir: string, contents: Map<string, Buffer>): Promise<void> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.'));
  expect(names.sort()).toEqual([...contents.keys()].sort());
  for (const [name, bytes] of contents)
    expect((await readFile(join(dir, name))).equals(bytes), name).toBe(true);
}

describe('restore', () => {
  it('brings back an 8-shard DFS set byte for byte, summary newest, mode 0600, with the restored marker', async () => {
    ws = await restoreWorkspace();
    const sealed = await sealDfs(ws, { stem: STEM, shards: 8 });
    const res = await runCli(restoreArgs(ws));
    expect(res.code, res.stderr).toBe(0);
    const out = res.stdout.toString();
    expect(out).toContain(`restored set ${sealed.setId}`);
    expect(out).toContain('default --dbfilename (dump-{timestamp}) loads this set');
    await expectIdentical(ws.target, sealed.contents);

    // Dragonfly picks the newest summary by mtime (whole seconds): the summary must be strictly newest.
    const summary = await stat(join(ws.target, `${STEM}-summary.dfs`));
    for (let i = 0; i < 8; i++) {
      const shard = await stat(join(ws.target, `${STEM}-${String(i).padStart(4, '0')}.dfs`));
      expect(Math.floor(shard.mtimeMs / 1000)).toBeLessThan(Math.floor(summary.mtimeMs / 1000));
      expect(shard.mode & 0o777).toBe(0o600);
    }
    expect(summary.mode & 0o777).toBe(0o600);
    expect((await stat(ws.target)).mode & 0o777).toBe(0o700);

    // The scanner sees one complete set, and the marker identifies exactly these files for `watch`.
    const scan = await scanDirectory(ws.target);
    expect(scan.sets).toHaveLength(1);
    const marker = await readRestoredMarker(ws.target);
    expect(marker?.setId).toBe(sealed.setId);
    for (const f of scan.sets[0]!.files) {
      expect(marker?.files).toContainEqual({ name: f.name, ino: f.ino, size: f.size, mtimeMs: f.mtimeMs });
    }
    // No temporary file is left behind.
    expect((await readdir(ws.target)).filter((n) => n.includes('.sg-tmp-'))).toEqual([]);
  });

  it('with --threads, decrypts each file split between worker threads: same bytes, same checks', async () => {
    ws = await restoreWorkspace();
    const sealed = await sealDfs(ws, { stem: STEM, shards: 2 });
    const res = await runCli([...restoreArgs(ws), '--threads', '3']);
    expect(res.code, res.stderr).toBe(0);
    await expectIdentical(ws.target, sealed.contents);
    for (const name of await readdir(ws.target)) {
      if (!name.startsWith('.')) expect((await stat(join(ws.target, name))).mode & 0o777).toBe(0o600);
    }
    expect((await readdir(ws.target)).filter((n) => n.includes('.sg-tmp-'))).toEqual([]);
  });

  it('refuses to overwrite an existing file and leaves the directory exactly as it was; --force replaces it', async () => {
    ws = await restoreWorkspace();
    const sealed = await sealDfs(ws, { stem: STEM, shards: 3 });
    await mkdir(ws.target, { mode: 0o700 });
    await writeFile(join(ws.target, `${STEM}-0001.dfs`), 'an older shard');
    const before = await snapshotOfDir(ws.target);

    const refused = await runCli(restoreArgs(ws));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `${join(ws.target, `${STEM}-0001.dfs`)} already exists; refusing to overwrite it`,
    );
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(await snapshotOfDir(ws.target)).toEqual(before);

    const forced = await runCli(restoreArgs(ws, '--force'));
    expect(forced.code, forced.stderr).toBe(0);
    await expectIdentical(ws.target, sealed.contents);
    expect((await readdir(ws.target)).filter((n) => n.includes('.sg-tmp-'))).toEqual([]);
  });

  it('treats a stale shard of the same stem as a conflict (Dragonfly would load it with the summary)', async () => {
    ws = await restoreWorkspace();
    const sealed = await sealDfs(ws, { stem: STEM, shards: 2 });
    await mkdir(ws.target, { mode: 0o700 });
    await writeFile(join(ws.target, `${STEM}-0005.dfs`), 'shard of an older, bigger set');
    const refused = await runCli(restoreArgs(ws));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${STEM}-0005.dfs already exists`);
    const forced = await runCli(restoreArgs(ws, '--force'));
    expect(forced.code, forced.stderr).toBe(0);
    await expectIdentical(ws.target, sealed.contents);
  });

  it('makes the restored summary newer than every snapshot file already in the directory', async () => {
    ws = await restoreWorkspace();
    await sealDfs(ws, { stem: STEM, shards: 2 });
    await mkdir(ws.target, { mode: 0o700 });
    const other = join(ws.target, 'dump-2030-01-01T00:00:00-summary.dfs');
    await writeFile(other, 'some other snapshot');
    const future = Math.floor(Date.now() / 1000) + 3600;
    await utimes(other, future, future);
    const res = await runCli(restoreArgs(ws));
    expect(res.code, res.stderr).toBe(0);
    const restored = await stat(join(ws.target, `${STEM}-summary.dfs`));
    expect(Math.floor(restored.mtimeMs / 1000)).toBeGreaterThan(future);
  });

  it('undoes every rename when the final moves fail half-way, putting replaced files back', async () => {
    ws = await restoreWorkspace();
    await sealDfs(ws, { stem: STEM, shards: 3 });
    await mkdir(ws.target, { mode: 0o700 });
    await writeFile(join(ws.target, `${STEM}-0000.dfs`), 'old shard 0');
    await writeFile(join(ws.target, `${STEM}-summary.dfs`), 'old summary');
    await writeFile(
      join(ws.target, '.snapshot-guard-restored.json'),
      '{"setId":"x","restoredAt":"","files":[]}\n',
    );
    const before = await snapshotOfDir(ws.target);
    const res = await runCli(restoreArgs(ws, '--force'), {
      env: { SNAPSHOT_GUARD_TEST_FAIL_AT: 'restore-rename' },
    });
    expect(res.code).not.toBe(0);
    expect(await snapshotOfDir(ws.target)).toEqual(before);
  });

  it('restores an RDB file and says how Redis and Dragonfly load it', async () => {
    ws = await restoreWorkspace();
    const sealed = await sealRdb(ws, 'dump.rdb');
    const res = await runCli(restoreArgs(ws));
    expect(res.code, res.stderr).toBe(0);
    await expectIdentical(ws.target, sealed.contents);
    expect(res.stdout.toString()).toContain('Redis/Valkey started with --dir');
    expect(res.stdout.toString()).toContain('--dbfilename');
  });

  it('prints the --dbfilename Dragonfly needs when the stem is not the default pattern', async () => {
    ws = await restoreWorkspace();
    await sealDfs(ws, { stem: 'cache-2026-11-23T17:40:00', shards: 2 });
    const res = await runCli(restoreArgs(ws));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.toString()).toContain("--dbfilename 'cache-{timestamp}'");
  });

  it('uses --mode for a directory Dragonfly shares with its group (the marker becomes group-readable)', async () => {
    ws = await restoreWorkspace();
    await sealDfs(ws, { stem: STEM, shards: 2 });
    const res = await runCli(restoreArgs(ws, '--mode', '0660'));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.toString()).toContain('files are mode 0660');
    for (const n of (await readdir(ws.target)).filter((x) => x.endsWith('.dfs'))) {
      expect((await stat(join(ws.target, n))).mode & 0o777).toBe(0o660);
    }
    expect((await stat(join(ws.target, '.snapshot-guard-restored.json'))).mode & 0o777).toBe(0o640);
    const bad = await runCli(restoreArgs(ws, '--mode', '0644', '--force'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--mode must be 0600, 0640 or 0660');
  });

  it.skipIf(process.getuid?.() !== 0)('gives the files to --owner (as root)', async () => {
    ws = await restoreWorkspace();
    await sealDfs(ws, { stem: STEM, shards: 2 });
    const res = await runCli(restoreArgs(ws, '--owner', 'daemon:daemon'));
    expect(res.code, res.stderr).toBe(0);
    for (const n of await readdir(ws.target)) {
      const st = await lstat(join(ws.target, n));
      expect([n, st.uid, st.gid]).toEqual([n, 1, 1]);
    }
    expect((await stat(ws.target)).uid).toBe(1);
  });

  it('rejects bad usage with one line and exit code 2', async () => {
    ws = await restoreWorkspace();
    await sealDfs(ws, { stem: STEM, shards: 1 });
    const both = await runCli([
      'restore',
      '--from',
      ws.sealed,
      '--latest',
      '--set',
      'x',
      '--to',
      ws.target,
      '--key-file',
      ws.keyA,
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('pass either --set ID or --latest');
    const unknown = await runCli([
      'restore',
      '--from',
      ws.sealed,
      '--set',
      '20200101T000000.000Z_nope',
      '--to',
      ws.target,
      '--key-file',
      ws.keyA,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no sealed set 20200101T000000.000Z_nope');
    const owner = await runCli(restoreArgs(ws, '--owner', 'no-such-user-here'));
    expect(owner.code).toBe(2);
    expect(owner.stderr).toContain('there is no user "no-such-user-here"');
    for (const r of [both, unknown, owner]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
