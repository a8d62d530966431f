/**
 * Destroys a plaintext snapshot file that has been sealed. Only the exact inode that was sealed is
 * touched: if Dragonfly has since renamed a newer snapshot over the same name, that file is left alone.
 * `overwrite` writes zeros over the file and fsyncs before unlinking; see docs/SECURITY.md for what
 * overwriting can and cannot guarantee on SSDs, copy-on-write and journaling file systems.
 */
import { constants } from 'node:fs';
import { lstat, open, unlink } from 'node:fs/promises';
import { errnoCode } from '../errors.js';

export type ShredMode = 'overwrite' | 'unlink';
export type ShredResult = 'shredded' | 'already_gone' | 'replaced';

export interface FileIdentity {
  path: string;
  dev: number;
  ino: number;
}

const ZEROS = Buffer.alloc(1024 * 1024);

async function sameInode(f: FileIdentity): Promise<ShredResult | undefined> {
  try {
    const st = await lstat(f.path);
    return st.ino === f.ino && st.dev === f.dev ? undefined : 'replaced';
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 'already_gone';
    throw err;
  }
}

async function overwrite(f: FileIdentity): Promise<ShredResult | undefined> {
  let fh;
  try {
    fh = await open(f.path, constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 'already_gone';
    throw err;
  }
  try {
    const st = await fh.stat();
    if (st.ino !== f.ino || st.dev !== f.dev) return 'replaced';
    for (let pos = 0; pos < st.size; pos += ZEROS.length) {
      const n = Math.min(ZEROS.length, st.size - pos);
      await fh.write(ZEROS, 0, n, pos);
    }
    await fh.sync();
    return undefined;
  } finally {
    await fh.close();
  }
}

/** The caller fsyncs the directory once after shredding all files of a set. */
export async function shredFile(f: FileIdentity, mode: ShredMode): Promise<ShredResult> {
  const early = await sameInode(f);
  if (early) return early;
  if (mode === 'overwrite') {
    const r = await overwrite(f);
    if (r) return r;
  }
  // A rename-over between this check and unlink() is the one window left; Dragonfly saves far apart.
  const late = await sameInode(f);
  if (late) return late;
  try {
    await unlink(f.path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 'already_gone';
    throw err;
  }
  return 'shredded';
}
