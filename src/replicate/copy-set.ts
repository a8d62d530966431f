/**
 * Copies one published set from a store to another, byte for byte, without a key: every stored file
 * (manifest and NAME.sg) and set.json, staged and published in one step on the target like a seal.
 * The copy is then proven: each file the target returns on read-back has the size and the SHA-256 of
 * what was read from the source. A copy that does not prove out is quarantined on the target (never
 * left published) and the error thrown, so the next pass copies it again.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Store, StoredFile } from '../store/store.js';

export class CopyMismatchError extends Error {}

export interface CopyOutcome {
  files: number;
  /** Bytes of the stored (encrypted) files copied. */
  bytes: number;
}

async function* hashing(data: AsyncIterable<Uint8Array>, hash: Hash): AsyncGenerator<Uint8Array> {
  for await (const chunk of data) {
    hash.update(chunk);
    yield chunk;
  }
}

async function digestOf(data: AsyncIterable<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of data) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}

export async function copySet(source: Store, target: Store, setId: string): Promise<CopyOutcome> {
  const files = await source.listFiles(setId);
  const info = await source.readInfo(setId);
  const expected = new Map<string, { sha256: string; size: number }>();
  const staged = await target.stage(setId);
  try {
    for (const f of files) {
      const hash = createHash('sha256');
      const size = await staged.write(f.name, hashing(source.read(setId, f.name), hash));
      if (size !== f.size)
        throw new CopyMismatchError(
          `${source.where(setId, f.name)}: read ${size} bytes, the store lists ${f.size}`,
        );
      expected.set(f.name, { sha256: hash.digest('hex'), size });
    }
    if (info) await staged.writeInfo(info);
    await staged.publish();
  } catch (err) {
    await staged.abort().catch(() => undefined); // discardUnpublished removes it at the next start
    throw err;
  }
  await prove(target, setId, files, expected);
  return { files: files.length, bytes: files.reduce((s, f) => s + f.size, 0) };
}

/** Reads the published copy back; a difference quarantines it (Object Lock allows that) and throws. */
async function prove(
  target: Store,
  setId: string,
  files: StoredFile[],
  expected: Map<string, { sha256: string; size: number }>,
): Promise<void> {
  const stored = new Map((await target.listFiles(setId)).map((f) => [f.name, f.size]));
  let problem: string | undefined;
  if (stored.size !== files.length) problem = `it holds ${stored.size} files, the source ${files.length}`;
  for (const f of files) {
    if (problem) break;
    const want = expected.get(f.name);
    const got = await digestOf(target.read(setId, f.name));
    if (!want || got.size !== want.size || got.sha256 !== want.sha256)
      problem = `${f.name} reads back different from the source (size ${got.size}, expected ${want?.size})`;
  }
  if (!problem) return;
  const moved = await target.quarantine(setId).catch(() => 'nowhere: quarantine failed');
  throw new CopyMismatchError(`copy of ${setId} in ${target.location}: ${problem}; moved to ${moved}`);
}
