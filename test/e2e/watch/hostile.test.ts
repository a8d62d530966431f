/** Hostile or unusual directory contents, full disks, and bad configurations. */
import { LocalStore } from '../../../src/store/local/local-store.js';
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, readdir, readFile, symlink, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDfsSet, writeRdbFile } from '../../helpers/dfs-writer.js';
import { Daemon, eventually } from '../../helpers/daemon.js';
import { PROJECT_ROOT, runCli } from '../../helpers/cli.js';
import { openSealedSet, publishedSets } from '../../helpers/sealed.js';
import { workspace, type Workspace, leftInDir } from '../../helpers/watch-fixtures.js';
import { scanDirectory } from '../../../src/snapshots/scan.js';
import { encryptAndPublish } from '../../../src/seal/seal.js';
import { noopObserver } from '../../../src/observe/observer.js';
import { SourceChangedError } from '../../../src/snapshots/source-changed.js';
import { shredFile } from '../../../src/snapshots/shred.js';
import { pino } from 'pino';
import { canMount } from '../../helpers/mount.js';

let ws: Workspace | undefined;
let daemon: Daemon | undefined;
const mounts: string[] = [];
afterEach(async () => {
  await daemon?.kill();
  daemon = undefined;
  for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m]);
  await ws?.cleanup();
  ws = undefined;
});

describe('hostile directory contents', () => {
  it('never follows a symlink or touches a hard-linked file; both targets stay intact', async () => {
    ws = await workspace();
    const outside = join(ws.root, 'outside');
    await mkdir(outside);
    const secret = join(outside, 'precious.rdb');
    await writeFile(secret, 'REDIS0011 not yours');
    const hard = join(outside, 'other.rdb');
    await writeFile(hard, 'REDIS0011 hard-linked');
    await symlink(secret, join(ws.df, 'dump.rdb'));
    await link(hard, join(ws.df, 'linked.rdb'));
    const res = await runCli(['watch', ...ws.args('--once')]);
    expect(res.code).toBe(0);
    const log = res.stdout.toString();
    expect(log).toContain('dump.rdb: is a symbolic link; ignored');
    expect(log).toContain('linked.rdb: has 2 hard links; ignored');
    expect(await readFile(secret, 'utf8')).toBe('REDIS0011 not yours');
    expect(await readFile(hard, 'utf8')).toBe('REDIS0011 hard-linked');
    expect((await readdir(ws.df)).sort()).toEqual(['dump.rdb', 'linked.rdb']);
    expect(await publishedSets(ws.out)).toEqual([]);
  });

  it('does not seal a file replaced between scan and seal, and never shreds a newer file under the same name', async () => {
    ws = await workspace();
    await writeRdbFile(ws.df, 'dump.rdb', 50_000);
    const [set] = (await scanDirectory(ws.df)).sets;
    const newer = await writeRdbFile(ws.df, 'dump.rdb', 60_000); // rename-over: new inode
    const cfg = {
      keyring: ws.keyring,
      store: new LocalStore(ws.out),
      instance: 't',
      segmentSize: 65536,
      shredMode: 'overwrite' as const,
      parallelism: 2,
      observer: noopObserver,
      log: pino({ level: 'silent' }),
    };
    await mkdir(ws.out, { recursive: true, mode: 0o700 });
    await expect(encryptAndPublish(set!, 'x', cfg)).rejects.toBeInstanceOf(SourceChangedError);
    expect(await shredFile(set!.files[0]!, 'overwrite')).toBe('replaced');
    expect((await readFile(join(ws.df, 'dump.rdb'))).equals(newer)).toBe(true);
  });

  it('permission denied on --dir: one clear line, exit 2', async () => {
    ws = await workspace();
    await chmod(ws.df, 0o700);
    // As root every access check passes, so run the CLI as an unprivileged user.
    let asNobody;
    try {
      asNobody = execFileSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          'bin/snapshot-guard',
          'watch',
          '--dir',
          ws.df,
          '--out',
          join('/tmp', `sg-nobody-${process.pid}`),
          '--key-file',
          ws.keyFile,
          '--once',
          '--metrics-addr',
          'off',
        ],
        { cwd: PROJECT_ROOT, stdio: 'pipe' },
      );
    } catch (err) {
      asNobody = err as { status: number; stderr: Buffer };
    }
    expect('status' in asNobody ? asNobody.status : 0).toBe(2);
    const stderr = 'stderr' in asNobody ? asNobody.stderr.toString() : '';
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^snapshot-guard: (permission denied on --dir|cannot access --dir)/);
  });
});

describe('configuration checks', () => {
  it('warns about exposed directories and world-readable snapshots, with the fix; --strict-permissions refuses', async () => {
    ws = await workspace();
    await chmod(ws.df, 0o755);
    await writeRdbFile(ws.df, 'dump.rdb', 1000); // mode 0644, as Dragonfly under umask 022
    const warn = await runCli(['watch', ...ws.args('--once', '--shred', 'unlink')]);
    expect(warn.code).toBe(0);
    expect(warn.stdout.toString()).toContain(`accessible by others (mode 0755); fix: chmod 700 ${ws.df}`);
    expect(warn.stdout.toString()).toContain(
      'world-readable (e.g. dump.rdb); fix: run Dragonfly with UMask=0077',
    );
    await writeRdbFile(ws.df, 'dump.rdb', 1000);
    const strict = await runCli(['watch', ...ws.args('--once', '--strict-permissions')]);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/^snapshot-guard: refusing to start \(--strict-permissions\): .*chmod 700/);
    expect(await readdir(ws.df)).toContain('dump.rdb');
  });

  it('refuses nested directories, missing --dir and object-storage URIs with one line each', async () => {
    ws = await workspace();
    const nested = await runCli([
      'watch',
      '--dir',
      ws.df,
      '--out',
      join(ws.df, 'sealed'),
      '--key-file',
      ws.keyFile,
      '--metrics-addr',
      'off',
    ]);
    expect(nested.code).toBe(2);
    expect(nested.stderr).toMatch(/must not contain each other/);
    const missing = await runCli([
      'watch',
      '--dir',
      join(ws.root, 'nope'),
      '--out',
      ws.out,
      '--key-file',
      ws.keyFile,
    ]);
    expect(missing.stderr).toMatch(/--dir .*nope does not exist/);
    const s3 = await runCli([
      'watch',
      '--dir',
      's3://bucket/snapshots',
      '--out',
      ws.out,
      '--key-file',
      ws.keyFile,
    ]);
    expect(s3.stderr).toMatch(/object-storage URI/);
    for (const r of [nested, missing, s3]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe.skipIf(!canMount())('full disk (real tmpfs, ENOSPC)', () => {
  it('keeps the plaintext while the output disk is full, and seals once space returns', async () => {
    ws = await workspace();
    await mkdir(ws.out, { mode: 0o700 });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', ws.out]);
    mounts.push(ws.out);
    const snap = await writeDfsSet({ dir: ws.df, stem: 'dump-big', shards: 2, bytesPerShard: 1_500_000 });
    daemon = Daemon.start(ws.args('--log-level', 'debug', '--retry-max', '1s'));
    await daemon.waitFor((l) => l.reason === 'no_space', 30_000, 'a no_space failure');
    // Retries happen, but the error is logged once per state change, not once per retry.
    await daemon.waitFor((l) => l.msg === 'still failing', 30_000, 'a second attempt');
    expect(daemon.count((l) => l.level === 50 && l.reason === 'no_space')).toBe(1);
    for (const [name, bytes] of snap.contents)
      expect((await readFile(join(ws.df, name))).equals(bytes)).toBe(true);
    expect(await publishedSets(ws.out)).toEqual([]);
    execFileSync('mount', ['-o', 'remount,size=20m', ws.out]);
    await daemon.waitForSealed(1, 30_000);
    await eventually(async () => (await leftInDir(ws!.df)).length === 0, 30_000, 'plaintext shredded');
    const [id] = await publishedSets(ws.out);
    const sealed = await openSealedSet(ws.out, id!, ws.keyring);
    for (const [name, bytes] of snap.contents) expect(sealed.files.get(name)?.equals(bytes)).toBe(true);
    expect(daemon.messages()).toContain('sealing works again');
    expect((await stat(ws.out)).mode & 0o777).toBe(0o700);
  });
});

describe.skipIf(!canMount())('--once on a full disk', () => {
  it('exits 1 with one line and leaves the plaintext, so a cron job notices', async () => {
    ws = await workspace();
    await mkdir(ws.out, { mode: 0o700 });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', ws.out]);
    mounts.push(ws.out);
    const data = await writeRdbFile(ws.df, 'dump.rdb', 500_000);
    const res = await runCli(['watch', ...ws.args('--once')]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(
      /^snapshot-guard: could not seal every snapshot \(no_space: .*\); the plaintext is untouched/,
    );
    expect((await readFile(join(ws.df, 'dump.rdb'))).equals(data)).toBe(true);
  });
});

describe('shutdown and retention', () => {
  it('SIGTERM lets the current seal finish and exits 0', async () => {
    ws = await workspace();
    daemon = Daemon.start(ws.args());
    await daemon.waitFor((l) => l.msg === 'watching for finished snapshots');
    await writeDfsSet({ dir: ws.df, stem: 'dump-t', shards: 4, bytesPerShard: 2_000_000 });
    await eventually(async () => (await readdir(ws!.out)).length > 0, 30_000, 'sealing started');
    expect(await daemon.kill('SIGTERM')).toBe(0);
    // Either the seal completed, or nothing was published and the plaintext is intact.
    const sets = await publishedSets(ws.out);
    const left = (await readdir(ws.df)).filter((n) => !n.startsWith('.'));
    expect(sets.length === 1 ? left.length === 0 || left.length === 5 : left.length === 5).toBe(true);
  });

  it('--keep-last keeps the newest N sets and deletes nothing else', async () => {
    ws = await workspace();
    await mkdir(ws.out, { mode: 0o700 });
    await writeFile(join(ws.out, 'README-not-ours.txt'), 'keep me');
    for (let i = 0; i < 4; i++) {
      await writeRdbFile(ws.df, 'dump.rdb', 10_000 + i);
      const r = await runCli(['watch', ...ws.args('--once', '--keep-last', '2')]);
      expect(r.code, r.stderr).toBe(0);
    }
    const sets = await publishedSets(ws.out);
    expect(sets).toHaveLength(2);
    const sizes = await Promise.all(
      sets.map(async (id) => (await openSealedSet(ws!.out, id, ws!.keyring)).manifest.files[0]!.size),
    );
    // RDB framing adds 18 bytes (magic 9, EOF opcode 1, checksum 8) to the body.
    expect(sizes).toEqual([10_000 + 2 + 18, 10_000 + 3 + 18]);
    expect(await readFile(join(ws.out, 'README-not-ours.txt'), 'utf8')).toBe('keep me');
  });
});
