import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeDfsSet, writeRdbFile } from '../../helpers/dfs-writer.js';
import { Daemon, eventually } from '../../helpers/daemon.js';
import { openSealedSet, publishedSets } from '../../helpers/sealed.js';
import { workspace, type Workspace, leftInDir } from '../../helpers/watch-fixtures.js';
import { runCli } from '../../helpers/cli.js';

let ws: Workspace;
let daemon: Daemon | undefined;

beforeAll(async () => {
  // The daemon tests run the built CLI.
  expect((await runCli(['--version'])).code).toBe(0);
});

afterEach(async () => {
  await daemon?.kill();
  daemon = undefined;
  await ws?.cleanup();
});

async function snapshotFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
}

describe('watch: Dragonfly DFS sets', () => {
  it.each([1, 8])('seals a %i-shard set only after its summary appears, then shreds it', async (shards) => {
    ws = await workspace();
    daemon = Daemon.start(ws.args());
    await daemon.waitFor((l) => l.msg === 'watching for finished snapshots');
    const stem = 'dump-2026-11-23T17:40:00';
    // Slow writer: .tmp files are visible for a while; nothing may be sealed before the summary rename.
    const writing = writeDfsSet({
      dir: ws.df,
      stem,
      shards,
      bytesPerShard: 300_000,
      chunkSize: 50_000,
      delayMs: 5,
    });
    let sawTmp = false;
    while (!(await Promise.race([writing.then(() => true), sleep(20).then(() => false)]))) {
      const names = await readdir(ws.df);
      if (names.some((n) => n.endsWith('.tmp'))) sawTmp = true;
      expect(await publishedSets(ws.out)).toEqual([]);
    }
    const written = await writing;
    expect(sawTmp).toBe(true);
    await daemon.waitForSealed(1);
    await eventually(async () => (await snapshotFiles(ws.df)).length === 0, 30_000, 'plaintext shredded');
    const [setId] = await publishedSets(ws.out);
    expect(setId).toMatch(/_dump-2026-11-23T17-40-00$/);
    // Keys stay secret: encrypted files 0600, directories 0700.
    const setPath = join(ws.out, setId as string);
    expect((await stat(setPath)).mode & 0o777).toBe(0o700);
    expect((await stat(ws.out)).mode & 0o777).toBe(0o700);
    for (const name of await readdir(setPath))
      expect((await stat(join(setPath, name))).mode & 0o777, name).toBe(0o600);
    const sealed = await openSealedSet(ws.out, setId as string, ws.keyring);
    expect(sealed.manifest.source).toMatchObject({
      format: 'dfs',
      shardCount: shards,
      snapshotId: written.snapshotId,
    });
    // Restore order: shards by id, summary last.
    expect(sealed.manifest.files.map((f) => f.name).at(-1)).toBe(`${stem}-summary.dfs`);
    expect(sealed.files.size).toBe(shards + 1);
    for (const [name, bytes] of written.contents) expect(sealed.files.get(name)?.equals(bytes)).toBe(true);
  });

  it('keeps back-to-back saves and saves under reused names apart', async () => {
    ws = await workspace();
    daemon = Daemon.start(ws.args());
    await daemon.waitFor((l) => l.msg === 'watching for finished snapshots');
    const saves = [];
    for (let i = 0; i < 3; i++) {
      // No {timestamp} in --dbfilename: every save renames over the same names (new inode each time).
      saves.push(await writeDfsSet({ dir: ws.df, stem: 'dump', shards: 2, bytesPerShard: 100_000 }));
      await sleep(15); // distinct mtimes, as successive saves have
    }
    await daemon.waitFor(() => daemon!.count((l) => l.msg.startsWith('sealed')) >= 1);
    await eventually(async () => (await snapshotFiles(ws.df)).length === 0, 30_000, 'all plaintext gone');
    const sets = await publishedSets(ws.out);
    expect(sets.length).toBeGreaterThanOrEqual(1);
    // Every sealed set is a complete, consistent save; the newest save is among them.
    const ids = new Set<string>();
    for (const id of sets) {
      const s = await openSealedSet(ws.out, id, ws.keyring);
      const save = saves.find((x) => x.snapshotId === s.manifest.source.snapshotId);
      expect(save).toBeDefined();
      for (const [name, bytes] of save!.contents) expect(s.files.get(name)?.equals(bytes)).toBe(true);
      ids.add(s.manifest.source.snapshotId as string);
    }
    expect(ids.has(saves[2]!.snapshotId)).toBe(true);
    expect(ids.size).toBe(sets.length);
  });

  it('ignores an aborted save (tmp files deleted); seals the sets around it', async () => {
    ws = await workspace();
    daemon = Daemon.start(ws.args());
    await daemon.waitFor((l) => l.msg === 'watching for finished snapshots');
    await writeDfsSet({ dir: ws.df, stem: 'dump-a', shards: 2, bytesPerShard: 50_000, abort: true });
    await writeDfsSet({ dir: ws.df, stem: 'dump-b', shards: 3, bytesPerShard: 50_000 });
    await writeDfsSet({ dir: ws.df, stem: 'dump-c', shards: 1, bytesPerShard: 10_000 });
    await daemon.waitForSealed(2);
    const sets = await publishedSets(ws.out);
    expect(sets.map((s) => s.split('_')[1])).toEqual(['dump-b', 'dump-c']);
    expect(await leftInDir(ws.df)).toEqual([]);
    expect(daemon.count((l) => l.level >= 40)).toBe(0);
  });

  it('refuses inconsistent sets: missing shard, shard from another snapshot', async () => {
    ws = await workspace();
    const a = await writeDfsSet({ dir: ws.df, stem: 'dump-x', shards: 3, bytesPerShard: 10_000 });
    const b = await writeDfsSet({ dir: ws.df, stem: 'dump-y', shards: 2, bytesPerShard: 10_000 });
    const { unlink, rename } = await import('node:fs/promises');
    await unlink(a.files[1] as string); // dump-x-0001.dfs missing
    const other = await writeDfsSet({ dir: ws.root, stem: 'dump-y', shards: 2, bytesPerShard: 10_000 });
    await rename(other.files[0] as string, b.files[0] as string); // dump-y-0000.dfs from another save
    const res = await runCli(['watch', ...ws.args('--once', '--log-level', 'info')]);
    expect(res.code).toBe(0);
    const log = res.stdout.toString();
    expect(log).toContain('dump-x-summary.dfs: shard dump-x-0001.dfs of 3 is missing; set not sealed');
    expect(log).toContain('dump-y-0000.dfs belongs to another snapshot');
    expect(await publishedSets(ws.out)).toEqual([]);
    expect((await snapshotFiles(ws.df)).length).toBe(3 + 3); // nothing touched
  });

  it('seals Dragonfly RDB files (--nodf_snapshot_format) and ignores .tmp', async () => {
    ws = await workspace();
    const data = await writeRdbFile(ws.df, 'dump.rdb', 200_000);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${ws.df}/dump.rdb.tmp`, 'partial');
    const res = await runCli(['watch', ...ws.args('--once')]);
    expect(res.code).toBe(0);
    const [id] = await publishedSets(ws.out);
    const s = await openSealedSet(ws.out, id as string, ws.keyring);
    expect(s.files.get('dump.rdb')?.equals(data)).toBe(true);
    expect(await leftInDir(ws.df)).toEqual(['dump.rdb.tmp']);
  });
});
