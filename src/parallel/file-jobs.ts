/**
 * The CPU-heavy per-file steps of sealing and restoring — encrypting a snapshot file into staging
 * (and, on a pool thread, authenticating it as it is written), decrypting a sealed file — as plain
 * data in, plain data out, so they can run in worker threads (one file per
 * core: Node's crypto runs on the thread that calls it) or inline.
 */
import { encryptToNewFile } from '../files/encrypted-file.js';
import type { EncryptionContext, WrappedKey } from '../format/header.js';
import type { SnapshotFile } from '../snapshots/scan.js';
import { isMainThread } from 'node:worker_threads';
import { openStable, stableSource } from '../snapshots/stable-source.js';
import type { AuthenticatedFile } from '../files/authenticate.js';
import { encryptPathParallel } from './parallel-file.js';
import { decryptPathOnce, type DecryptedFile } from './decrypt-file.js';

const inWorker = !isMainThread;

export interface EncryptJob {
  kind: 'encrypt';
  source: SnapshotFile;
  out: string;
  context: EncryptionContext;
  dataKey: Uint8Array;
  wrappedKeys: WrappedKey[];
  segmentSize: number;
}

/** Restore: decrypt a local encrypted file into a new file. */
export interface DecryptJob {
  kind: 'decrypt';
  path: string;
  name: string;
  setId: string;
  dataKey: Uint8Array;
  out: string;
}

export type FileJob = EncryptJob | DecryptJob;
export type FileJobResult = { plaintextBytes: number } | AuthenticatedFile | DecryptedFile;
/** Bytes of plaintext done so far by a long job (decrypt only), reported now and then. */
export type OnProgress = (bytes: number) => void;

export async function runFileJob(job: FileJob, onProgress?: OnProgress): Promise<FileJobResult> {
  const dataKey = Buffer.from(job.dataKey);
  try {
    if (job.kind === 'encrypt') {
      const target = {
        context: job.context,
        dataKey,
        wrappedKeys: job.wrappedKeys.map((w) => ({ ...w, blob: Buffer.from(w.blob) })),
        segmentSize: job.segmentSize,
      };
      if (!inWorker) {
        // Inline (no pool): streaming, so this thread's event loop keeps running.
        const r = await encryptToNewFile(stableSource(job.source), job.out, target, { digest: false });
        return { plaintextBytes: r.plaintextBytes };
      }
      // On a pool thread: the synchronous segment path (one reused 1 MiB buffer, small output pieces)
      // costs less CPU and memory than the async streaming one, and reads each batch back and checks
      // it right after writing it (still in the CPU's cache): the file comes back authenticated.
      const src = job.source;
      const r = await encryptPathParallel(src.path, job.out, target, {
        threads: 1,
        inline: true,
        readBack: true,
        openInput: () => openStable(src),
      });
      if (r.payloadSha256 === undefined) throw new Error(`${job.out}: read back without a digest`);
      return { plaintextBytes: r.plaintextBytes, payloadSha256: r.payloadSha256, encryptedBytes: r.bytes };
    }
    return await decryptPathOnce(job.path, job.name, job.setId, dataKey, job.out, onProgress);
  } finally {
    dataKey.fill(0);
  }
}
