/**
 * The directory store: sealed sets as directories under one root (layout.ts). A set is staged in
 * `.staging/<id>/`, fsynced, and published with one rename; removal and quarantine are renames too, so
 * a half-written or half-deleted set is never visible as published.
 */
import { constants } from 'node:fs';
import { access, chown, lstat, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError, errnoCode } from '../../errors.js';
import {
  fsyncDir,
  readChunks,
  READ_CHUNK,
  removeIfExists,
  tempPathFor,
  writeNewFile,
} from '../../io/durable.js';
import { writeJsonAtomic } from '../../io/json-file.js';
import { SET_INFO_FILE, STATUS_FILE, isSetFile, isSetId } from '../names.js';
import { parseNote, type SetInfo, type SetStatus } from '../set-info.js';
import type { StagedSet, Store, StoredFile, WriterLock } from '../store.js';
import { LockFile } from '../../io/lock-file.js';
import { workingName } from '../../io/hidden-name.js';
import { NoStoreError } from '../errors.js';
import { LOCK_FILE, QUARANTINE_DIR, STAGING_DIR, setDir, stagingDir } from './layout.js';
import { giveToOwnerOf, runningAsRoot } from './ownership.js';

async function readNote<T>(path: string): Promise<T | undefined> {
  try {
    return parseNote<T>(await readFile(path, 'utf8'));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** A note written by an operator's root shell must stay readable by the daemon that owns the set. */
async function writeNote(path: string, value: unknown, dir: string): Promise<void> {
  await writeJsonAtomic(path, value);
  await giveToOwnerOf(path, dir);
}

export class LocalStore implements Store {
  readonly local = true;

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  async prepare(): Promise<string[]> {
    try {
      await mkdir(this.root, { recursive: true, mode: 0o700 });
      await access(this.root, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (err) {
      throw new UserError(
        `cannot use ${this.root}: ${errnoCode(err) ?? String(err)}; it must be a writable directory`,
        2,
      );
    }
    const mode = (await stat(this.root)).mode & 0o777;
    if ((mode & 0o077) === 0) return [];
    const octal = mode.toString(8).padStart(4, '0');
    return [`${this.root} is accessible by group or others (mode ${octal}); fix: chmod 700 ${this.root}`];
  }

  async notices(): Promise<string[]> {
    const out: string[] = [];
    for (const [sub, what] of [
      [STAGING_DIR, 'interrupted seals (discarded when watch starts)'],
      [QUARANTINE_DIR, 'quarantined sets that failed verification (never deleted; inspect them)'],
    ] as const) {
      const n = (await readdir(join(this.root, sub)).catch(() => [])).length;
      if (n > 0) out.push(`${n} ${what} in ${join(this.root, sub)}`);
    }
    return out;
  }

  async listSets(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') throw new NoStoreError(this.root);
      if (code === 'ENOTDIR')
        throw new UserError(`${this.root} is not a directory; pass the sealed-set directory with --from`);
      if (code === 'EACCES' || code === 'EPERM') {
        throw new UserError(`permission denied: cannot list ${this.root}; run as its owner (or root)`);
      }
      throw err;
    }
    const ids: string[] = [];
    for (const name of names) {
      if (!isSetId(name)) continue;
      const st = await lstat(join(this.root, name)).catch(() => undefined);
      if (st?.isDirectory()) ids.push(name);
    }
    // "20261123T174005.123Z_dump" sorts by time; a ".2" suffix (same snapshot sealed again) sorts after.
    return ids.sort().reverse();
  }

  async listFiles(setId: string): Promise<StoredFile[]> {
    const dir = setDir(this.root, setId);
    const out: StoredFile[] = [];
    for (const name of (await readdir(dir)).filter(isSetFile).sort()) {
      const st = await lstat(join(dir, name)).catch(() => undefined);
      if (st?.isFile()) out.push({ name, size: st.size });
    }
    return out;
  }

  read(setId: string, name: string, start = 0): AsyncIterable<Buffer> {
    return readChunks(join(setDir(this.root, setId), name), READ_CHUNK, start);
  }

  localPath(setId: string, name: string): string {
    return join(setDir(this.root, setId), name);
  }

  where(setId: string, name?: string): string {
    return name === undefined ? setDir(this.root, setId) : join(setDir(this.root, setId), name);
  }

  readInfo(setId: string): Promise<SetInfo | undefined> {
    return readNote<SetInfo>(join(setDir(this.root, setId), SET_INFO_FILE));
  }

  writeInfo(setId: string, info: SetInfo): Promise<void> {
    const dir = setDir(this.root, setId);
    return writeNote(join(dir, SET_INFO_FILE), info, dir);
  }

  readStatus(setId: string): Promise<SetStatus | undefined> {
    return readNote<SetStatus>(join(setDir(this.root, setId), STATUS_FILE));
  }

  writeStatus(setId: string, status: SetStatus): Promise<void> {
    const dir = setDir(this.root, setId);
    return writeNote(join(dir, STATUS_FILE), status, dir);
  }

  async stage(setId: string): Promise<StagedSet> {
    const dir = stagingDir(this.root, setId);
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(this.root, STAGING_DIR), { recursive: true, mode: 0o700 });
    await mkdir(dir, { mode: 0o700 });
    return new LocalStagedSet(this.root, setId, dir);
  }

  async replaceFile(setId: string, name: string, data: AsyncIterable<Uint8Array>): Promise<void> {
    const path = this.localPath(setId, name);
    const tmp = tempPathFor(path);
    try {
      await writeNewFile(tmp, data);
      if (runningAsRoot()) {
        const st = await stat(path);
        await chown(tmp, st.uid, st.gid); // the daemon's user must still read its sets
      }
      await rename(tmp, path);
    } finally {
      await removeIfExists(tmp);
    }
    await fsyncDir(setDir(this.root, setId));
  }

  async removeSet(setId: string): Promise<void> {
    const trash = join(this.root, STAGING_DIR, workingName('deleting-', setId, ''));
    await mkdir(join(this.root, STAGING_DIR), { recursive: true, mode: 0o700 });
    await rename(setDir(this.root, setId), trash);
    await fsyncDir(this.root);
    await rm(trash, { recursive: true, force: true });
  }

  async quarantine(setId: string): Promise<string> {
    const qdir = join(this.root, QUARANTINE_DIR);
    await mkdir(qdir, { recursive: true, mode: 0o700 });
    const target = join(qdir, `${setId}-${Date.now()}`);
    await rename(setDir(this.root, setId), target);
    await fsyncDir(this.root);
    return target;
  }

  async discardUnpublished(): Promise<void> {
    const staging = join(this.root, STAGING_DIR);
    let names: string[];
    try {
      names = await readdir(staging);
    } catch {
      return; // no staging directory yet
    }
    for (const name of names) await rm(join(staging, name), { recursive: true, force: true });
  }

  lockForWriting(purpose: string): Promise<WriterLock> {
    return LockFile.acquire(join(this.root, LOCK_FILE), this.root, purpose);
  }

  async close(): Promise<void> {
    // nothing held open
  }
}

class LocalStagedSet implements StagedSet {
  constructor(
    private readonly root: string,
    readonly setId: string,
    private readonly dir: string,
  ) {}

  write(name: string, data: AsyncIterable<Uint8Array>): Promise<number> {
    return writeNewFile(join(this.dir, name), data);
  }

  localPath(name: string): string {
    return join(this.dir, name);
  }

  writeInfo(info: SetInfo): Promise<void> {
    return writeJsonAtomic(join(this.dir, SET_INFO_FILE), info);
  }

  async publish(): Promise<void> {
    await fsyncDir(this.dir);
    const published = setDir(this.root, this.setId);
    try {
      await lstat(published);
      throw new UserError(`${published} already exists; a set of this id was published by another writer`);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    await rename(this.dir, published);
    await fsyncDir(this.root);
    await fsyncDir(join(this.root, STAGING_DIR));
  }

  async abort(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
