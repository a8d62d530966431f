import { link, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UserError, errnoCode } from '../errors.js';
import { fsyncDir, removeIfExists } from '../io/durable.js';
import { fileError } from '../files/encrypted-file.js';

/**
 * Moves a finished temporary file to its final name. Without `force` this is link()+unlink(),
 * which fails atomically when the target exists instead of replacing it.
 */
export async function publishFile(tmp: string, out: string, force: boolean): Promise<void> {
  const target = resolve(out);
  try {
    if (force) {
      await rename(tmp, target);
    } else {
      await link(tmp, target);
      await unlink(tmp);
    }
    await fsyncDir(dirname(target));
  } catch (err) {
    await removeIfExists(tmp);
    if (errnoCode(err) === 'EEXIST') {
      throw new UserError(`${out} already exists; refusing to overwrite it (pass --force to replace it)`);
    }
    throw fileError(err, out, 'write');
  }
}
