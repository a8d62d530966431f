/** Reading a snapshot file for sealing, refusing one that is replaced or changes while it is read. */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { READ_CHUNK, readHandle } from '../io/durable.js';
import type { SnapshotFile } from '../snapshots/scan.js';
import { SourceChangedError } from './source-changed.js';

/** Reads through one descriptor (one read ahead), checking it is the same inode and unchanged throughout. */
export async function* stableSource(f: SnapshotFile, chunkSize = READ_CHUNK): AsyncGenerator<Buffer> {
  let fh;
  try {
    fh = await open(f.path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    throw new SourceChangedError(`${f.name} vanished before it could be sealed`);
  }
  try {
    const before = await fh.stat();
    if (before.ino !== f.ino || before.size !== f.size || before.mtimeMs !== f.mtimeMs) {
      throw new SourceChangedError(`${f.name} was replaced before it could be sealed`);
    }
    const read = yield* readHandle(fh, chunkSize);
    const after = await fh.stat();
    if (read !== f.size || after.size !== f.size || after.mtimeMs !== f.mtimeMs) {
      throw new SourceChangedError(`${f.name} changed while it was being sealed`);
    }
  } finally {
    await fh.close();
  }
}
