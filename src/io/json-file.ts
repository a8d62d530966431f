import { writeFile, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir, removeIfExists, tempPathFor } from './durable.js';

/** Replaces a small JSON file atomically (temp + fsync + rename + fsync dir), mode 0600 by default. */
export async function writeJsonAtomic(path: string, value: unknown, mode = 0o600): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode, flag: 'wx' });
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await fsyncDir(dirname(path));
  } catch (err) {
    await removeIfExists(tmp);
    throw err;
  }
}
