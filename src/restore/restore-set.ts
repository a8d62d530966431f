/**
 * Restoring one sealed set into Dragonfly's directory (nothing unauthenticated is ever released): unwrap the data key once,
 * authenticate the manifest and the set's file list, decrypt every file to a hidden temporary name while
 * authenticating it, fsync, give the files their owner, mode 0600 and modification times that make them
 * the snapshot Dragonfly loads, write the restored marker (so `watch` does not seal them again), then
 * move them into place shards first, summary last. On any failure nothing new is left in the directory.
 */
import { chmod, chown, link, lstat, rename, stat, statfs, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError, errnoCode } from '../errors.js';
import type { Manifest } from '../format/manifest.js';
import { removeIfExists, tempPathFor } from '../io/durable.js';
import type { Keyring } from '../keys/keyring.js';
import { mapLimit } from '../util/map-limit.js';
import {
  markerPath,
  readRestoredMarker,
  removeRestoredMarker,
  writeRestoredMarker,
  type RestoredMarker,
} from '../snapshots/restored-marker.js';
import { runningAsRoot } from '../store/local/ownership.js';
import { withSealedSet } from '../store/sealed-set.js';
import type { Store } from '../store/store.js';
import { decryptEntry } from './decrypt-set.js';
import { formatBytes } from './human.js';
import type { Owner } from './owner.js';
import { Placement, findConflicts, newestSnapshotMtime, restoredTimes, type Staged } from './place.js';
import { prepareTargetDir, removeCreated } from './target-dir.js';
import type { RestoreProgress } from './progress.js';
import { threadsFor } from '../parallel/parallel-file.js';
import { FileWorkers } from '../parallel/file-workers.js';
import { encryptedNameFor } from '../store/names.js';

export interface RestoreRequest {
  store: Store;
  setId: string;
  targetDir: string;
  keyring: Keyring;
  /** Explicit --owner; as root without it, the files go to the owner of the target directory. */
  owner?: Owner;
  force: boolean;
  /** File mode of the restored files: 0600, or 0640/0660 when Dragonfly shares its directory with a group. */
  mode: number;
  parallelism: number;
  /** Threads per file (0: automatic, threads for a one-file set of 64 MiB or more; 1: streaming). */
  threads: number;
  progress: RestoreProgress;
}

export interface RestoreOutcome {
  manifest: Manifest;
  marker: RestoredMarker;
  bytes: number;
  /** uid/gid the files were given, when they were changed. */
  chowned?: { uid: number; gid: number };
}

async function checkSpace(targetDir: string, bytes: number): Promise<void> {
  const fs = await statfs(targetDir);
  const free = fs.bavail * fs.bsize;
  if (free < bytes) {
    throw new UserError(
      `not enough space in ${targetDir}: the set needs ${formatBytes(bytes)}, ${formatBytes(free)} are free`,
    );
  }
}

/** As root without --owner, files go to whoever owns the target directory (normally Dragonfly's user). */
async function effectiveOwner(
  targetDir: string,
  owner: Owner | undefined,
): Promise<{ uid: number; gid: number } | undefined> {
  if (owner) return { uid: owner.uid, gid: owner.gid };
  if (!runningAsRoot()) return undefined;
  const st = await stat(targetDir);
  return st.uid === 0 && st.gid === 0 ? undefined : { uid: st.uid, gid: st.gid };
}

async function finishFiles(
  staged: Staged[],
  manifest: Manifest,
  targetDir: string,
  chownTo: { uid: number; gid: number } | undefined,
  mode: number,
): Promise<RestoredMarker['files']> {
  const times = restoredTimes(manifest, Date.now(), await newestSnapshotMtime(targetDir));
  const files: RestoredMarker['files'] = [];
  for (const s of staged) {
    await chmod(s.tmp, mode);
    if (chownTo) await chown(s.tmp, chownTo.uid, chownTo.gid);
    const t = times.get(s.name) ?? Math.floor(Date.now() / 1000);
    await utimes(s.tmp, t, t);
    // rename keeps inode and mtime, so these are the identities the files will have under their final names.
    const st = await lstat(s.tmp);
    files.push({ name: s.name, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
  }
  return files;
}

/** The marker is read by `watch`, which may run as another user of the files' group (0640/0660). */
async function placeMarker(
  targetDir: string,
  marker: RestoredMarker,
  chownTo: { uid: number; gid: number } | undefined,
  mode: number,
): Promise<void> {
  await writeRestoredMarker(targetDir, marker);
  if (chownTo) await chown(markerPath(targetDir), chownTo.uid, chownTo.gid);
  await chmod(markerPath(targetDir), 0o600 | (mode & 0o040));
}

/** Keeps the current marker (if any) under a hidden hard link, so a failed restore can put back the very same file. */
async function keepMarker(targetDir: string): Promise<string | undefined> {
  const backup = tempPathFor(markerPath(targetDir));
  try {
    await link(markerPath(targetDir), backup);
    return backup;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

async function putBackMarker(targetDir: string, backup: string | undefined): Promise<void> {
  if (backup === undefined) {
    await removeRestoredMarker(targetDir);
    return;
  }
  await rename(backup, markerPath(targetDir));
  await removeIfExists(backup); // rename between two links of one file does nothing
}

/**
 * Decrypts every file of the set into its temporary name. A set of several files kept on this host is
 * decrypted on the file-job pool, one file per core, each in one read. Otherwise files stream on this
 * thread (`parallelism` at once), except that a large file with cores to spare (a set of one big RDB
 * file) is split by segments between threads, one such file at a time.
 */
async function decryptAll(
  req: RestoreRequest,
  manifest: Manifest,
  dataKey: Buffer,
  staged: Staged[],
): Promise<void> {
  const tmpOf = (name: string) => staged.find((s) => s.name === name)?.tmp ?? '';
  const onPlaintext = (n: number) => req.progress.add(n);
  const local = manifest.files.every(
    (f) => req.store.localPath(manifest.setId, encryptedNameFor(f.name)) !== undefined,
  );
  const pooled = Math.min(req.parallelism, manifest.files.length);
  const pool = req.threads === 0 && local && pooled > 1 ? new FileWorkers(pooled) : undefined;
  // Several files already keep the cores busy side by side (measured: a 1 GiB 4-shard set restored
  // ~10% slower with its files split between threads), so by default only a set of one file is split.
  const requested = req.threads === 0 && manifest.files.length > 1 ? 1 : req.threads;
  const threads = new Map(manifest.files.map((f) => [f.name, threadsFor(f.size, requested)]));
  const split = !pool && [...threads.values()].some((t) => t > 1);
  await mapLimit(manifest.files, split ? 1 : req.parallelism, async (entry) => {
    const how = pool ? { pool } : { threads: threads.get(entry.name) ?? 1 };
    await decryptEntry(req.store, manifest, entry, dataKey, tmpOf(entry.name), onPlaintext, how);
    req.progress.fileDone(entry.name);
  });
}

export function restoreSet(req: RestoreRequest): Promise<RestoreOutcome> {
  // Opening the set is the only key-provider call.
  return withSealedSet(req.store, req.setId, req.keyring, async ({ manifest, dataKey }) => {
    const createdDirs = await prepareTargetDir(req.targetDir, req.owner);
    const staged: Staged[] = manifest.files.map((f) => ({
      name: f.name,
      tmp: tempPathFor(join(req.targetDir, f.name)),
    }));
    let placed = false;
    try {
      const conflicts = await findConflicts(req.targetDir, manifest);
      if (conflicts.length > 0 && !req.force) {
        throw new UserError(
          `${join(req.targetDir, conflicts[0] ?? '')} already exists${conflicts.length > 1 ? ` (${conflicts.length - 1} more files there clash with this set)` : ''}; refusing to overwrite it (pass --force to replace it, or restore into an empty directory)`,
        );
      }
      const bytes = manifest.files.reduce((s, f) => s + f.size, 0);
      await checkSpace(req.targetDir, bytes);
      const chownTo = await effectiveOwner(req.targetDir, req.owner);

      req.progress.start(bytes, staged.length);
      try {
        await decryptAll(req, manifest, dataKey, staged);
      } finally {
        req.progress.stop();
      }

      const files = await finishFiles(staged, manifest, req.targetDir, chownTo, req.mode);
      // Files of an earlier restore that Dragonfly has not loaded yet stay marked (watch must not seal them).
      const earlier = (await readRestoredMarker(req.targetDir))?.files ?? [];
      const ours = new Set(files.map((f) => f.name));
      const marker: RestoredMarker = {
        setId: req.setId,
        restoredAt: new Date().toISOString(),
        files: [...files, ...earlier.filter((f) => !ours.has(f.name))],
      };
      const markerBackup = await keepMarker(req.targetDir);
      const placement = new Placement(req.targetDir, staged, conflicts, req.force);
      try {
        // Before the first rename: a running `watch` must know these files are restored, not new snapshots.
        await placeMarker(req.targetDir, marker, chownTo, req.mode);
        try {
          await placement.run();
        } catch (err) {
          await placement.undo();
          throw err;
        }
      } catch (err) {
        await putBackMarker(req.targetDir, markerBackup);
        throw err;
      }
      placed = true;
      if (markerBackup) await removeIfExists(markerBackup);
      await placement.discardReplaced();
      // `watch` drops a marker whose set it cannot see complete; the set was incomplete until the last rename.
      if ((await readRestoredMarker(req.targetDir))?.setId !== req.setId) {
        await placeMarker(req.targetDir, marker, chownTo, req.mode);
      }
      return { manifest, marker, bytes, ...(chownTo ? { chowned: chownTo } : {}) };
    } finally {
      for (const s of staged) await removeIfExists(s.tmp);
      if (!placed) await removeCreated(createdDirs);
    }
  });
}
