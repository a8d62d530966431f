/**
 * Decrypting one local encrypted file into a new file on the calling thread, reading it once: each
 * batch of segments is hashed (the payload digest a manifest records) as it is read, then decrypted
 * and written; a segment is written only after its tag verified. Restore runs this on the file-job
 * pool, the files of a set side by side, one per core. The output is complete and authentic only when
 * this resolves AND the caller has compared the returned size and digest with the manifest.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { checkHeaderOf, type AuthenticatedFile } from '../files/authenticate.js';
import { fileError, readHeaderAt } from '../files/encrypted-file.js';
import { intoNewFile, openPayload } from './parallel-file.js';
import { batchFor } from './run-ranges.js';
import { runSegmentRange } from './segment-range.js';

/** Progress is reported at most this often (bytes of plaintext), to keep messages between threads few. */
const PROGRESS_EVERY = 16 * 1024 * 1024;

export async function decryptPathHashed(
  path: string,
  name: string,
  setId: string,
  dataKey: Buffer,
  out: string,
  onProgress: (plaintextBytes: number) => void = () => undefined,
): Promise<AuthenticatedFile> {
  const header = await readHeaderAt(path);
  checkHeaderOf(header, path, name, setId, dataKey);
  const input = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: unknown) => {
    throw fileError(err, path, 'read');
  });
  try {
    const { payloadStart, encryptedBytes, geometry, streamHeader, segmentKey } = await openPayload(
      input,
      header,
      dataKey,
      path,
    );
    const hash = createHash('sha256').update(streamHeader);
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
        hash.update(bytes);
        unreported += bytes.length;
        if (unreported < PROGRESS_EVERY) return;
        onProgress(unreported);
        unreported = 0;
      });
      return Promise.resolve();
    });
    return { plaintextBytes: geometry.plaintextSize, payloadSha256: hash.digest('hex'), encryptedBytes };
  } finally {
    await input.close();
  }
}
