/**
 * Restore's target (`--to`, Dragonfly's --dir): checked and, when missing, created one level at a time,
 * each level 0700 and given to --owner, so Dragonfly can enter every directory restore made. Node's
 * recursive mkdir is not used: on /proc it loops forever (mkdir there fails with ENOENT although the
 * parent exists), and it reports a dangling symbolic link or a kernel file system as a bare code.
 */
import { access, chown, lstat, mkdir, readlink, rmdir, stat, statfs } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError, errnoCode } from '../errors.js';
import type { Owner } from './owner.js';

/** statfs magic numbers of kernel file systems that can never hold a snapshot (linux/magic.h). */
const KERNEL_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0xf97cff8c, 'selinuxfs'],
]);

const fix = "pass Dragonfly's --dir, a directory on a disk or a tmpfs, with --to";

/** The nearest existing directory at or above `dir`, and the missing levels below it (top first). */
async function existingAncestor(dir: string): Promise<{ existing: string; missing: string[] }> {
  const missing: string[] = [];
  for (let p = dir; ; p = dirname(p)) {
    try {
      const st = await stat(p);
      if (!st.isDirectory()) throw new UserError(`${p} is not a directory; ${fix}`);
      return { existing: p, missing };
    } catch (err) {
      const code = errnoCode(err);
      if (err instanceof UserError) throw err;
      if (code === 'ENOTDIR')
        throw new UserError(`${p}: a part of this path is a file, not a directory; ${fix}`);
      if (code === 'EACCES' || code === 'EPERM') {
        throw new UserError(
          `permission denied: cannot look into ${dirname(p)}; run restore as its owner or as root`,
        );
      }
      if (code !== 'ENOENT') throw err;
      const link = await lstat(p).catch(() => undefined);
      if (link?.isSymbolicLink()) {
        const to = resolve(dirname(p), await readlink(p));
        throw new UserError(
          `${p} is a symbolic link to ${to}, which does not exist; create ${to} first or ${fix}`,
        );
      }
      if (p === dirname(p)) throw err; // the root always exists; never loop
      missing.unshift(p);
    }
  }
}

async function refuseKernelFileSystem(dir: string, target: string): Promise<void> {
  const kind = KERNEL_FILE_SYSTEMS.get((await statfs(dir)).type);
  if (kind)
    throw new UserError(
      `${target} is on the kernel's ${kind} file system, which cannot hold snapshots; ${fix}`,
    );
}

function createError(err: unknown, dir: string): UserError {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM')
    return new UserError(
      `permission denied: cannot create ${dir}; create it yourself or run restore as root`,
    );
  if (code === 'EROFS') return new UserError(`cannot create ${dir}: the file system is read-only; ${fix}`);
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new UserError(`cannot create ${dir}: no space left; free some space`);
  return new UserError(`cannot create ${dir} (${code ?? String(err)}); ${fix}`);
}

/**
 * Makes sure `targetDir` is a writable directory on a real file system, creating missing levels.
 * Returns the directories it created, top first (removeCreated undoes them).
 */
export async function prepareTargetDir(targetDir: string, owner: Owner | undefined): Promise<string[]> {
  const { existing, missing } = await existingAncestor(targetDir);
  await refuseKernelFileSystem(existing, targetDir);
  const created: string[] = [];
  try {
    for (const dir of missing) {
      try {
        await mkdir(dir, { mode: 0o700 });
      } catch (err) {
        throw createError(err, dir);
      }
      created.push(dir);
      if (owner) await chown(dir, owner.uid, owner.gid);
    }
    await access(targetDir, constants.W_OK | constants.X_OK).catch(() => {
      throw new UserError(
        `permission denied: cannot write into ${targetDir}; run restore as its owner or as root`,
      );
    });
  } catch (err) {
    await removeCreated(created);
    throw err;
  }
  return created;
}

/** Removes directories prepareTargetDir created (deepest first), if they are still empty. */
export async function removeCreated(created: string[]): Promise<void> {
  for (const dir of [...created].reverse()) await rmdir(dir).catch(() => undefined);
}
