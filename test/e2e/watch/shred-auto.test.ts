/**
 * --shred auto (the default): unlink on a memory file system (tmpfs), overwrite on a disk. Seen from a
 * second hard link to the same inode: overwriting zeroes the bytes it still shows, unlinking leaves them.
 */
import { execFileSync } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { effectiveShredMode, shredFile } from '../../../src/snapshots/shred.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Writes a file plus a hidden second link to it, shreds the file, and returns what the link shows. */
async function shredAndPeek(dir: string): Promise<Buffer> {
  const path = join(dir, 'dump.rdb');
  const body = Buffer.alloc(4096, 0x41);
  await writeFile(path, body);
  await link(path, join(dir, 'peek'));
  const st = await stat(path);
  expect(await shredFile({ path, dev: st.dev, ino: st.ino }, 'auto')).toBe('shredded');
  return readFile(join(dir, 'peek'));
}

it('unlinks on tmpfs and overwrites on a disk', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sg-shred-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const ram = join(root, 'ram');
  await mkdir(ram);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', ram]);
  cleanups.push(() => Promise.resolve(void execFileSync('umount', ['-l', ram])));
  const disk = join(root, 'disk');
  await mkdir(disk);

  expect(await effectiveShredMode('auto', ram)).toBe('unlink');
  expect((await shredAndPeek(ram)).every((b) => b === 0x41)).toBe(true);
  expect(await effectiveShredMode('auto', disk)).toBe('overwrite');
  expect((await shredAndPeek(disk)).every((b) => b === 0)).toBe(true);
});

it('shreds a file whose name is at the 255-byte limit (its hidden working name must fit too)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sg-shred-long-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, `${'d'.repeat(251)}.rdb`);
  await writeFile(path, Buffer.alloc(4096, 0x41));
  await link(path, join(dir, 'peek'));
  const st = await stat(path);
  expect(await shredFile({ path, dev: st.dev, ino: st.ino }, 'overwrite')).toBe('shredded');
  expect((await readFile(join(dir, 'peek'))).every((b) => b === 0)).toBe(true);
  expect(await readdir(dir)).toEqual(['peek']);
});
