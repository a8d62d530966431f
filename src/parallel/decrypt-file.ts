/**
 * Decrypting one local encrypted file into a new file on the calling thread, reading it once: each
 * batch of segments is read, decrypted and written; a segment is written only after its tag verified.
 * Restore runs this on the file-job pool, the files of a set side by side, one per core. The output is
 * complete and authentic only when this resolves AND the caller has compared the returned size with
 * the manifest.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { checkHeaderOf } from '../files/authenticate.js';
import { fileError, readHeaderAt } from '../files/encrypted-file.js';
import { intoNewFile, openPayload } from './parallel-file.js';
import { batchFor } from './run-ranges.js';
import { runSegmentRange } from './segment-range.js';

/** Progress is reported at most this often (bytes of ciphertext), to keep messages between threads few. */
const PROGRESS_EVERY = 16 * 1024 * 1024;

export interface DecryptedFile {
  plaintextBytes: number;
  /** Whole encrypted file, header included. */
  encryptedBytes: number;
}

export async function decryptPathOnce(
  path: string,
  name: string,
  setId: string,
  dataKey: Buffer,
  out: string,
  onProgress: (bytes: number) => void = () => undefined,
): Promise<DecryptedFile> {
  const header = await readHeaderAt(path);
  checkHeaderOf(header, path, name, setId, dataKey);
  const input = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: unknown) => {
    throw fileError(err, path, 'read');
  });
  try {
    const { payloadStart, encryptedBytes, geometry, segmentKey } = await openPayload(
      input,
      header,
      dataKey,
      path,
    );
    let unreported = 0;
    await intoNewFile(out, async (output) => {
      const task = {
        op: 'decrypt' as const,
        geometry,
        segmentKey,
        what: path,
        inFd: input.fd,
        inBase: payloadStart,
        outFd: output.fd,
        outBase: 0,
        batch: batchFor(geometry.segmentSize),
        worker: 0,
        workers: 1,
      };
      runSegmentRange(task, undefined, (bytes) => {
        unreported += bytes.length;
        if (unreported < PROGRESS_EVERY) return;
        onProgress(unreported);
        unreported = 0;
      });
      return Promise.resolve();
    });
    return { plaintextBytes: geometry.plaintextSize, encryptedBytes };
  } finally {
    await input.close();
  }
}
