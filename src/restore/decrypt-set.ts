/**
 * Restore's one pass over a sealed set: each file is decrypted into a hidden temporary file while its
 * ciphertext payload is hashed, and counts as restored only when its header MAC, every segment, its
 * size and its payload digest all match the (authenticated) manifest. The checks are those of
 * store/sealed-set.ts, done on the same read that produces the plaintext, so a restore reads the
 * set once.
 */
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { IntegrityError, UserError, errnoCode } from '../errors.js';
import { PullReader } from '../format/chunks.js';
import { decryptFile } from '../format/file.js';
import type { ParsedHeader } from '../format/header.js';
import type { Manifest, ManifestFile } from '../format/manifest.js';
import { decryptPathParallel } from '../parallel/parallel-file.js';
import { decryptPathHashed } from '../parallel/decrypt-file.js';
import type { FileWorkers } from '../parallel/file-workers.js';
import type { AuthenticatedFile } from '../files/authenticate.js';
import { readHeaderFrom, type OpenBytes } from '../files/authenticate.js';
import { fileError } from '../files/encrypted-file.js';
import { readFlat, writeNewFile } from '../io/durable.js';
import { constants } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { encryptedNameFor } from '../store/names.js';
import type { Store } from '../store/store.js';

/** Writing errors concern the target directory; anything else concerns the encrypted file. */
function ioError(err: unknown, path: string, tmp: string): unknown {
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new UserError(`no space left in ${dirname(tmp)}; free some space and run restore again`);
  if (code === 'EROFS') return new UserError(`${dirname(tmp)} is on a read-only file system`);
  return fileError(err, path, 'read');
}

/** The payload after the header: hashed as it is read, since the manifest records its digest. */
async function* hashedPayload(
  open: OpenBytes,
  headerLength: number,
  hash: ReturnType<typeof createHash>,
): AsyncGenerator<Buffer> {
  for await (const c of open(headerLength)) {
    hash.update(c);
    yield c;
  }
}

/**
 * Decrypts one file of the set into `tmp` (created 0600, fsynced). Throws an IntegrityError naming the
 * encrypted file when anything does not authenticate; the caller removes `tmp` then. With `threads`
 * above 1 the segments are decrypted by threads - 1 worker threads while this thread hashes the
 * payload in one sequential read (the digest cannot be split); progress then follows the hashing.
 * With one thread, a file on this host is read once at offsets into a reused buffer (flat memory); a
 * file in a bucket is streamed. With a `pool`, a file on this host is decrypted on a pool thread.
 */
export async function decryptEntry(
  store: Store,
  manifest: Manifest,
  entry: ManifestFile,
  dataKey: Buffer,
  tmp: string,
  onPlaintext: (bytes: number) => void,
  how: { threads?: number; pool?: FileWorkers } = {},
): Promise<void> {
  const threads = how.threads ?? 1;
  const encName = encryptedNameFor(entry.name);
  const path = store.where(manifest.setId, encName);
  const localPath = store.localPath(manifest.setId, encName);
  if (how.pool && localPath !== undefined)
    return decryptOnPool(how.pool, localPath, path, manifest.setId, entry, dataKey, tmp, onPlaintext);
  const open: OpenBytes = (start) => store.read(manifest.setId, encName, start);
  const header = await readHeaderFrom(open, path);
  if (header.context.fileName !== entry.name || header.context.setId !== manifest.setId) {
    throw new IntegrityError(
      `${path}: belongs to another file or set (its header names ${header.context.fileName} of set ${header.context.setId})`,
    );
  }
  // Worker threads read segments of one file at their own offsets: only a file on this host.
  if (threads > 1 && localPath !== undefined)
    return decryptEntryInThreads(localPath, header, entry, dataKey, tmp, onPlaintext, threads);
  if (localPath !== undefined) {
    const report = reporter(entry, onPlaintext);
    const done = await decryptPathHashed(localPath, entry.name, manifest.setId, dataKey, tmp, report).catch(
      (err: unknown) => {
        throw err instanceof IntegrityError ? err : ioError(err, path, tmp);
      },
    );
    report(entry.size);
    return checkAgainstManifest(path, entry, done.plaintextBytes, done.payloadSha256);
  }
  const hash = createHash('sha256');
  const reader = new PullReader(hashedPayload(open, header.raw.length, hash));
  let plain = 0;
  const plaintext = (async function* () {
    // decryptFile checks the header MAC first, then releases each segment only after its tag verified.
    for await (const c of decryptFile(reader, header, dataKey, path)) {
      plain += c.length;
      onPlaintext(c.length);
      yield c;
    }
  })();
  try {
    await writeNewFile(tmp, plaintext);
  } catch (err) {
    throw err instanceof IntegrityError ? err : ioError(err, path, tmp);
  } finally {
    await reader.close();
  }
  checkAgainstManifest(path, entry, plain, hash.digest('hex'));
}

async function decryptEntryInThreads(
  path: string,
  header: ParsedHeader,
  entry: ManifestFile,
  dataKey: Buffer,
  tmp: string,
  onPlaintext: (bytes: number) => void,
  threads: number,
): Promise<void> {
  const hash = createHash('sha256');
  let reported = 0;
  let stop = false;
  // This thread hashes: the others decrypt (2 cores, a 1 GiB RDB set: one decrypting thread restored
  // it in 1.1 s, two in 1.6 s, three threads then sharing two cores).
  const decrypting = decryptPathParallel(path, header, dataKey, tmp, { threads: threads - 1, what: path });
  decrypting.catch(() => (stop = true)); // no need to finish hashing a file that failed
  const hashing = (async () => {
    // Through two reused buffers: flat memory (fresh 4 MiB chunks piled up to ~180 MiB for 1 GiB).
    const fh = await openFile(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      await readFlat(fh, header.raw.length, (c) => {
        if (stop) throw new Error('decryption failed'); // reported by `decrypting`
        hash.update(c);
        // Ciphertext is a little longer than plaintext: never report more than the file holds.
        const step = Math.min(c.length, entry.size - reported);
        reported += step;
        if (step > 0) onPlaintext(step);
      });
    } finally {
      await fh.close();
    }
  })();
  const [decrypted, hashed] = await Promise.allSettled([decrypting, hashing]);
  for (const r of [decrypted, hashed]) {
    if (r.status === 'rejected')
      throw r.reason instanceof IntegrityError ? r.reason : ioError(r.reason, path, tmp);
  }
  if (decrypted.status !== 'fulfilled') return; // (narrowing only: handled above)
  if (entry.size > reported) onPlaintext(entry.size - reported);
  checkAgainstManifest(path, entry, decrypted.value, hash.digest('hex'));
}

/**
 * Decrypts one file of a set kept on this host on a thread of the file-job pool, in one read (hash,
 * check, decrypt, write: parallel/decrypt-file.ts), so the files of a set use every core. The same
 * checks as decryptEntry; progress arrives now and then from the thread.
 */
async function decryptOnPool(
  workers: FileWorkers,
  localPath: string,
  path: string,
  setId: string,
  entry: ManifestFile,
  dataKey: Buffer,
  tmp: string,
  onPlaintext: (bytes: number) => void,
): Promise<void> {
  const report = reporter(entry, onPlaintext);
  const done = await workers
    .run<AuthenticatedFile>(
      { kind: 'decrypt', path: localPath, name: entry.name, setId, dataKey, out: tmp },
      report,
    )
    .catch((err: unknown) => {
      throw err instanceof IntegrityError ? err : ioError(err, path, tmp);
    });
  report(entry.size);
  checkAgainstManifest(path, entry, done.plaintextBytes, done.payloadSha256);
}

/**
 * Progress from a thread counts ciphertext, a little longer than the plaintext: never report more than
 * the file holds (a final report of the file's size tops it up).
 */
function reporter(entry: ManifestFile, onPlaintext: (bytes: number) => void): (bytes: number) => void {
  let reported = 0;
  return (bytes) => {
    const step = Math.min(bytes, entry.size - reported);
    reported += step;
    if (step > 0) onPlaintext(step);
  };
}

/** The size and payload digest the (authenticated) manifest recorded for this file. */
function checkAgainstManifest(path: string, entry: ManifestFile, plain: number, digest: string): void {
  if (plain !== entry.size)
    throw new IntegrityError(`${path}: holds ${plain} bytes, the manifest says ${entry.size}`);
  if (digest !== entry.payloadSha256) {
    throw new IntegrityError(`${path}: payload digest differs from the manifest (file replaced?)`);
  }
}
