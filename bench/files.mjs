/** The scratch workspace on --dir, random test files, and content checks. */
import { createCipheriv, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';

const TMPFS_MAGIC = 0x01021994;
const CHUNK = 16 * 1024 * 1024;

/** Creates a private (0700) scratch directory under `dir`; describes the file system it lives on. */
export async function makeWorkspace(dir) {
  const fs = await statfs(dir);
  const path = await mkdtemp(join(dir, 'sg-bench-'));
  return {
    path,
    isTmpfs: fs.type === TMPFS_MAGIC,
    freeBytes: fs.bavail * fs.bsize,
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/**
 * Writes `size` pseudo-random bytes (an AES-256-CTR keystream under a random key: incompressible,
 * and much faster to make than randomBytes).
 */
export async function writeRandomFile(path, size) {
  const cipher = createCipheriv('aes-256-ctr', randomBytes(32), randomBytes(16));
  const zeros = Buffer.alloc(CHUNK);
  const fh = await open(path, 'wx', 0o600);
  try {
    for (let done = 0; done < size; done += CHUNK) {
      const n = Math.min(CHUNK, size - done);
      await fh.write(cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n)));
    }
  } finally {
    await fh.close();
  }
}

async function* chunksOf(path) {
  for await (const c of createReadStream(path, { highWaterMark: CHUNK })) yield c;
}

/** True when both files hold exactly the same bytes. */
export async function sameContent(a, b) {
  if ((await stat(a)).size !== (await stat(b)).size) return false;
  const ia = chunksOf(a)[Symbol.asyncIterator]();
  const ib = chunksOf(b)[Symbol.asyncIterator]();
  let bufA = Buffer.alloc(0);
  let bufB = Buffer.alloc(0);
  for (;;) {
    if (bufA.length === 0) bufA = (await ia.next()).value ?? Buffer.alloc(0);
    if (bufB.length === 0) bufB = (await ib.next()).value ?? Buffer.alloc(0);
    if (bufA.length === 0 || bufB.length === 0) return bufA.length === bufB.length;
    const n = Math.min(bufA.length, bufB.length);
    if (!bufA.subarray(0, n).equals(bufB.subarray(0, n))) return false;
    bufA = bufA.subarray(n);
    bufB = bufB.subarray(n);
  }
}

export async function fileSize(path) {
  return (await stat(path)).size;
}
