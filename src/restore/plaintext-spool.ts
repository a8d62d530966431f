/**
 * Plaintext bound for a consumer that cannot take bytes back (stdout, a pipe) is held in a private
 * temporary file until the whole input has authenticated, and only then copied out. Reading the input
 * twice (authenticate, then stream) is not enough: the file can change between the two reads, and the
 * second read would release unauthenticated plaintext before failing. The spool file is created 0600 in
 * a fresh 0700 directory and unlinked at once, so no other process can open it and nothing is left
 * behind, even after a crash.
 */
import { mkdtemp, open, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { UserError, errnoCode } from '../errors.js';

async function openSpool(): Promise<FileHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'snapshot-guard-'));
  try {
    const path = join(dir, 'plaintext');
    const fh = await open(path, 'wx+', 0o600);
    await unlink(path);
    return fh;
  } finally {
    await rmdir(dir);
  }
}

function spoolError(err: unknown): unknown {
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new UserError(
      `no space in ${tmpdir()} to hold the plaintext until it is authenticated; set TMPDIR to a directory with room, or decrypt to a file with -o FILE`,
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new UserError(
      `cannot create a private temporary file in ${tmpdir()} (${code}); set TMPDIR to a writable directory, or decrypt to a file with -o FILE`,
    );
  }
  return err;
}

/** Writes every chunk of `plaintext` to a private spool; only when it ended without error copies it to `out`. */
export async function releaseWhenAuthenticated(
  plaintext: AsyncIterable<Uint8Array>,
  out: Writable,
): Promise<void> {
  const fh = await openSpool().catch((err: unknown) => {
    throw spoolError(err);
  });
  try {
    for await (const c of plaintext) {
      await fh.write(c).catch((err: unknown) => {
        throw spoolError(err);
      });
    }
    await pipeline(fh.createReadStream({ start: 0, autoClose: false }), out, { end: false });
  } finally {
    await fh.close();
  }
}
