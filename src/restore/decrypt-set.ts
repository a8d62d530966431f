/**
 * Restore's one pass over a sealed set: each file is decrypted into a hidden temporary file, and
 * counts as restored only when its header (file name, set id, MAC under the set's data key), every
 * segment's tag and its size match the (authenticated) manifest.
 *
 * The manifest's payload digest is not recomputed here. Every byte of a payload is authenticated
 * under a key derived from the set's data key, the file's own salt and its name, so no one without
 * that data key can make a payload that passes, and anyone with it can write a matching manifest too:
 * the digest would add no check, only 0.6 CPU-seconds per GiB (docs/SECURITY.md, "What restore
 * checks"). `verify` still compares digests, which needs no key.
 */
import { dirname } from 'node:path';
import { IntegrityError, UserError, errnoCode } from '../errors.js';
import { PullReader } from '../format/chunks.js';
import { decryptFile } from '../format/file.js';
import type { ParsedHeader } from '../format/header.js';
import type { Manifest, ManifestFile } from '../format/manifest.js';
import { decryptPathParallel } from '../parallel/parallel-file.js';
import { decryptPathOnce, type DecryptedFile } from '../parallel/decrypt-file.js';
import type { FileWorkers } from '../parallel/file-workers.js';
import { readHeaderFrom, type OpenBytes } from '../files/authenticate.js';
import { fileError } from '../files/encrypted-file.js';
import { writeNewFile } from '../io/durable.js';
import { coalesce } from '../io/coalesce.js';
import { batchFor } from '../parallel/run-ranges.js';
import { TAG_LENGTH } from '../format/limits.js';
import { encryptedNameFor } from '../store/names.js';
import type { Store } from '../store/store.js';

/** A file streamed from a bucket is decrypted in chunks of this size. */
const STREAM_CHUNK = 1024 * 1024;

/** Writing errors concern the target directory; anything else concerns the encrypted file. */
function ioError(err: unknown, path: string, tmp: string): unknown {
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new UserError(`no space left in ${dirname(tmp)}; free some space and run restore again`);
  if (code === 'EROFS') return new UserError(`${dirname(tmp)} is on a read-only file system`);
  return fileError(err, path, 'read');
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
    const done = await decryptPathOnce(localPath, entry.name, manifest.setId, dataKey, tmp, report).catch(
      (err: unknown) => {
        throw err instanceof IntegrityError ? err : ioError(err, path, tmp);
      },
    );
    report(entry.size);
    return checkSize(path, entry, done.plaintextBytes);
  }
  // A bucket's body arrives in the socket's small pieces: join them (io/coalesce.ts).
  const reader = new PullReader(coalesce(open(header.raw.length), STREAM_CHUNK));
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
  checkSize(path, entry, plain);
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
  const report = reporter(entry, onPlaintext);
  // Each thread reports a batch once it is written: about a batch of segments' worth of plaintext.
  const perBatch = batchFor(header.segmentSize) * (header.segmentSize - TAG_LENGTH);
  const plain = await decryptPathParallel(path, header, dataKey, tmp, {
    threads,
    what: path,
    onWritten: () => report(perBatch),
  }).catch((err: unknown) => {
    throw err instanceof IntegrityError ? err : ioError(err, path, tmp);
  });
  report(entry.size);
  checkSize(path, entry, plain);
}

/**
 * Decrypts one file of a set kept on this host on a thread of the file-job pool, in one read (check,
 * decrypt, write: parallel/decrypt-file.ts), so the files of a set use every core. The same
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
    .run<DecryptedFile>(
      { kind: 'decrypt', path: localPath, name: entry.name, setId, dataKey, out: tmp },
      report,
    )
    .catch((err: unknown) => {
      throw err instanceof IntegrityError ? err : ioError(err, path, tmp);
    });
  report(entry.size);
  checkSize(path, entry, done.plaintextBytes);
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

/** The size the (authenticated) manifest recorded for this file. */
function checkSize(path: string, entry: ManifestFile, plain: number): void {
  if (plain !== entry.size)
    throw new IntegrityError(`${path}: holds ${plain} bytes, the manifest says ${entry.size}`);
}
