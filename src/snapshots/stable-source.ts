/** Reading a snapshot file for sealing, refusing one that is replaced or changes while it is read. */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { READ_CHUNK, readHandle } from '../io/durable.js';
import type { SnapshotFile } from '../snapshots/scan.js';
import { SourceChangedError, openFailure } from './source-changed.js';

/** Reads through one descriptor (one read ahead), checking it is the same inode and unchanged throughout. */
export async function* stableSource(f: SnapshotFile, chunkSize = READ_CHUNK): AsyncGenerator<Buffer> {
  const fh = await openStable(f);
  try {
    const read = yield* readHandle(fh, chunkSize);
    const after = await fh.stat();
    if (read !== f.size || after.size !== f.size || after.mtimeMs !== f.mtimeMs) {
      throw new SourceChangedError(`${f.name} changed while it was being sealed`);
    }
  } finally {
    await fh.close();
  }
}

/** Opens a snapshot file and checks it is still the one the scan saw (same inode, size and mtime). */
export async function openStable(f: SnapshotFile): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(f.path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw openFailure(err, f.path, f.name);
  }
  try {
    const st = await fh.stat();
    if (st.ino !== f.ino || st.size !== f.size || st.mtimeMs !== f.mtimeMs) {
      throw new SourceChangedError(`${f.name} was replaced before it could be sealed`);
    }
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Proves every file of a set can be opened and is unchanged, before any data key is asked for. */
export async function assertReadable(files: SnapshotFile[]): Promise<void> {
  for (const f of files) await (await openStable(f)).close();
}
