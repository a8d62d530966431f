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

/** Writing the spool can only run out of space; the input's own errors pass through unchanged. */
function spoolError(err: unknown): unknown {
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new UserError(
      `no space in ${tmpdir()} to hold the plaintext until it is authenticated; set TMPDIR to a directory with room, or decrypt to a file with -o FILE`,
    );
  }
  return err;
}

function spoolOpenError(err: unknown): unknown {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new UserError(
      `cannot create a private temporary file in ${tmpdir()} (${code}); set TMPDIR to a writable directory, or decrypt to a file with -o FILE`,
    );
  }
  return err;
}

/**
 * Lets `fill` write the plaintext into a private spool (at offsets, or in order); only when it resolved
 * copies the spool to `out`.
 */
export async function releaseWhenAuthenticated(
  fill: (spool: FileHandle) => Promise<void>,
  out: Writable,
): Promise<void> {
  const fh = await openSpool().catch((err: unknown) => {
    throw spoolOpenError(spoolError(err));
  });
  try {
    await fill(fh).catch((err: unknown) => {
      throw spoolError(err);
    });
    await copyOut(fh, out);
  } finally {
    await fh.close();
  }
}

const COPY_CHUNK = 1024 * 1024;

/**
 * Copies the spool to `out` through two reused buffers (one read ahead), each reused only once `out`
 * has taken it: flat memory, where a read stream's fresh 64 KiB chunks piled up (1 GiB: ~150 MiB peak).
 */
async function copyOut(fh: FileHandle, out: Writable): Promise<void> {
  const buffers = [Buffer.allocUnsafe(COPY_CHUNK), Buffer.allocUnsafe(COPY_CHUNK)];
  let position = 0;
  let next = fh.read(buffers[0] as Buffer, 0, COPY_CHUNK, 0);
  for (let i = 0; ; i ^= 1) {
    const { bytesRead, buffer } = await next;
    if (bytesRead === 0) return;
    position += bytesRead;
    next = fh.read(buffers[i ^ 1] as Buffer, 0, COPY_CHUNK, position);
    await new Promise<void>((resolve, reject) => {
      out.write(buffer.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve()));
    }).catch(async (err: unknown) => {
      await next.catch(() => undefined);
      throw err;
    });
  }
}

/** A spool filler writing every chunk of `plaintext` in order. */
export function writeInOrder(plaintext: AsyncIterable<Uint8Array>): (spool: FileHandle) => Promise<void> {
  return async (fh) => {
    for await (const c of plaintext) await fh.write(c);
  };
}
