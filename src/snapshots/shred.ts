/**
 * Destroys a plaintext snapshot file that has been sealed. Only the exact inode that was sealed is
 * touched: if Dragonfly has since renamed a newer snapshot over the same name, that file is left alone.
 *
 * The file is first renamed to a hidden name (".NAME.sg-shred"), so that a crash part-way through
 * never leaves a half-overwritten file under a snapshot name (which would look like a new, broken
 * snapshot); leftovers are finished by `finishInterruptedShreds` at start. `overwrite` then writes
 * zeros over the file and fsyncs before unlinking; see docs/SECURITY.md for what overwriting can and
 * cannot guarantee on SSDs, copy-on-write and journaling file systems.
 */
import { constants } from 'node:fs';
import { link, lstat, open, readdir, rename, statfs, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode } from '../errors.js';
import { crashPoint } from '../io/crash-points.js';
import { workingName } from '../io/hidden-name.js';

/** `auto` (the default): unlink on memory file systems, overwrite everywhere else. */
export type ShredMode = 'overwrite' | 'unlink' | 'auto';

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/**
 * What `auto` means for the file system holding `path`. On tmpfs and ramfs a file's pages are freed
 * (and later handed out zeroed) when it is unlinked; overwriting first only costs time while the
 * plaintext stays exposed. On disks, overwriting makes the plaintext unreadable through the file system
 * (docs/SECURITY.md says what it cannot promise on SSDs and copy-on-write file systems).
 */
export async function effectiveShredMode(mode: ShredMode, path: string): Promise<'overwrite' | 'unlink'> {
  if (mode !== 'auto') return mode;
  const { type } = await statfs(path);
  return type === TMPFS_MAGIC || type === RAMFS_MAGIC ? 'unlink' : 'overwrite';
}
export type ShredResult = 'shredded' | 'already_gone' | 'replaced';

export interface FileIdentity {
  path: string;
  dev: number;
  ino: number;
}

export const SHRED_SUFFIX = '.sg-shred';
const ZEROS = Buffer.alloc(1024 * 1024);

async function inodeAt(path: string): Promise<{ dev: number; ino: number } | undefined> {
  try {
    const st = await lstat(path);
    return { dev: st.dev, ino: st.ino };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

async function overwriteAndUnlink(path: string, requested: ShredMode): Promise<void> {
  const mode = await effectiveShredMode(requested, dirname(path));
  if (mode === 'overwrite') {
    let fh;
    try {
      fh = await open(path, constants.O_WRONLY | constants.O_NOFOLLOW);
    } catch (err) {
      // A file we may remove but not write (restored by another user into a shared directory): unlink only.
      if (errnoCode(err) !== 'EACCES' && errnoCode(err) !== 'EPERM') throw err;
    }
    if (fh) {
      try {
        const { size } = await fh.stat();
        for (let pos = 0; pos < size; pos += ZEROS.length) {
          await fh.write(ZEROS, 0, Math.min(ZEROS.length, size - pos), pos);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    crashPoint('mid-overwrite');
  }
  await unlink(path);
}

/**
 * First step of shredding: moves the sealed inode out of Dragonfly's view to ".NAME.sg-shred".
 * Returns the hidden path, or why there is nothing to shred.
 */
export async function moveAside(
  f: FileIdentity,
): Promise<{ aside: string } | Exclude<ShredResult, 'shredded'>> {
  const before = await inodeAt(f.path);
  if (!before) return 'already_gone';
  if (before.ino !== f.ino || before.dev !== f.dev) return 'replaced';
  const aside = join(dirname(f.path), workingName('.', basename(f.path), SHRED_SUFFIX));
  try {
    await rename(f.path, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 'already_gone';
    throw err;
  }
  const moved = await inodeAt(aside);
  if (moved && (moved.ino !== f.ino || moved.dev !== f.dev)) {
    // Dragonfly renamed a newer snapshot over the name between our check and our rename: put it back.
    try {
      await link(aside, f.path);
      await unlink(aside);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    return 'replaced';
  }
  return { aside };
}

/** Second step: overwrites (per mode) and unlinks a file moved aside. */
export async function destroyAside(aside: string, mode: ShredMode): Promise<void> {
  await overwriteAndUnlink(aside, mode);
}

/** Both steps for one file. The caller fsyncs the directory once after shredding all files of a set. */
export async function shredFile(f: FileIdentity, mode: ShredMode): Promise<ShredResult> {
  const moved = await moveAside(f);
  if (typeof moved === 'string') return moved;
  await destroyAside(moved.aside, mode);
  return 'shredded';
}

/** Finishes shreds a crash interrupted: hidden ".NAME.sg-shred" files hold sealed plaintext only. */
export async function finishInterruptedShreds(dir: string, mode: ShredMode): Promise<string[]> {
  const done: string[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith('.') || !name.endsWith(SHRED_SUFFIX)) continue;
    try {
      await overwriteAndUnlink(join(dir, name), mode);
      done.push(name);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }
  return done;
}
