/**
 * The CPU-heavy per-file steps — encrypting a snapshot file into staging, authenticating a staged file,
 * decrypting a file of a set for restore — as plain data in, plain data out, so they can run in worker
 * threads (one file per core: Node's crypto runs on the thread that calls it) or inline.
 */
import { encryptToNewFile } from '../files/encrypted-file.js';
import type { EncryptionContext, WrappedKey } from '../format/header.js';
import type { SnapshotFile } from '../snapshots/scan.js';
import { stableSource } from '../pipeline/stable-source.js';
import { authenticateFile, type AuthenticatedFile } from '../pipeline/verify-set.js';
import { IntegrityError, UserError } from '../errors.js';
import { SourceChangedError } from '../pipeline/errors.js';
import { decryptEntry } from '../restore/decrypt-set.js';
import type { Manifest, ManifestFile } from '../format/manifest.js';

export interface EncryptJob {
  kind: 'encrypt';
  source: SnapshotFile;
  out: string;
  context: EncryptionContext;
  dataKey: Uint8Array;
  wrappedKeys: WrappedKey[];
  segmentSize: number;
}

export interface AuthenticateJob {
  kind: 'authenticate';
  path: string;
  name: string;
  setId: string;
  dataKey: Uint8Array;
}

export interface RestoreJob {
  kind: 'restore';
  /** The sealed set's directory. */
  dir: string;
  manifest: Manifest;
  entry: ManifestFile;
  dataKey: Uint8Array;
  /** Hidden temporary file in the target directory. */
  tmp: string;
}

export type FileJob = EncryptJob | AuthenticateJob | RestoreJob;
export type FileJobResult = { plaintextBytes: number } | AuthenticatedFile;

/** Progress in plaintext bytes (restore's progress bar). */
export type OnProgress = (bytes: number) => void;

export async function runFileJob(
  job: FileJob,
  onProgress: OnProgress = () => undefined,
): Promise<FileJobResult> {
  const dataKey = Buffer.from(job.dataKey);
  try {
    if (job.kind === 'encrypt') {
      const target = {
        context: job.context,
        dataKey,
        wrappedKeys: job.wrappedKeys.map((w) => ({ ...w, blob: Buffer.from(w.blob) })),
        segmentSize: job.segmentSize,
      };
      const r = await encryptToNewFile(stableSource(job.source), job.out, target, { digest: false });
      return { plaintextBytes: r.plaintextBytes };
    }
    if (job.kind === 'restore') {
      await decryptEntry(job.dir, job.manifest, job.entry, dataKey, job.tmp, onProgress);
      return { plaintextBytes: job.entry.size };
    }
    return await authenticateFile(job.path, job.name, job.setId, dataKey);
  } finally {
    dataKey.fill(0);
  }
}

/** Errors cross the thread boundary as data; these keep the classes and errno codes callers test for. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  exitCode?: number;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { code?: unknown; exitCode?: unknown };
  return {
    name: e.name,
    message: e.message,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.exitCode === 'number' ? { exitCode: e.exitCode } : {}),
    ...(e.stack ? { stack: e.stack } : {}),
  };
}

export function deserializeError(s: SerializedError): Error {
  let err: Error;
  if (s.name === 'SourceChangedError') err = new SourceChangedError(s.message);
  else if (s.name === 'IntegrityError') err = new IntegrityError(s.message);
  else if (s.name === 'UserError') err = new UserError(s.message, s.exitCode ?? 1);
  else err = new Error(s.message);
  if (s.code) Object.assign(err, { code: s.code });
  if (s.stack) err.stack = s.stack;
  return err;
}
