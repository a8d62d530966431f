/**
 * The set manifest: which files make up a sealed snapshot set. It is stored as an encrypted file of its
 * own (context file name "") under the set's data key, so it is authenticated and confidential; this
 * module only turns it into bytes and back, strictly validated.
 */
import { IntegrityError } from '../errors.js';

export const MANIFEST_KIND = 'snapshot-guard/set-manifest';
export const MANIFEST_VERSION = 1;
export const MAX_MANIFEST_BYTES = 1024 * 1024;
export const MAX_MANIFEST_FILES = 4096;

export type FileRole = 'shard' | 'summary' | 'rdb';
export type SnapshotFormat = 'dfs' | 'rdb';

export interface ManifestFile {
  /** Plaintext file name as Dragonfly/Redis wrote it (no directories). */
  name: string;
  role: FileRole;
  /** Plaintext size in bytes. */
  size: number;
  /** Size of the encrypted file, header included. */
  encryptedSize: number;
  /** SHA-256 of the encrypted payload (the bytes after the header), hex. */
  payloadSha256: string;
}

export interface Manifest {
  kind: typeof MANIFEST_KIND;
  version: typeof MANIFEST_VERSION;
  setId: string;
  instance: string;
  /** When the set was sealed (ISO 8601). */
  sealedAt: string;
  /** Modification time of the file that completed the snapshot (summary or .rdb), ISO 8601. */
  snapshotTime: string;
  source: {
    format: SnapshotFormat;
    /** Common prefix of the set's file names, e.g. "dump-2026-11-23T17:40:00" or "dump". */
    stem: string;
    /** DFS snapshot-id aux field (32 hex), when present. */
    snapshotId: string | null;
    shardCount: number | null;
  };
  /** In restore order: shards first, the summary (or the single .rdb) last. */
  files: ManifestFile[];
}

export function encodeManifest(m: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(m, null, 2)}\n`, 'utf8');
}

const SAFE_NAME = /^[^/\0]+$/;

export function decodeManifest(bytes: Buffer, what = 'manifest'): Manifest {
  const bad = (m: string): never => {
    throw new IntegrityError(`${what} is invalid: ${m}`);
  };
  if (bytes.length > MAX_MANIFEST_BYTES) bad('too large');
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    bad('not JSON');
  }
  const o = v as Partial<Manifest>;
  if (typeof o !== 'object' || o === null) bad('not an object');
  if (o.kind !== MANIFEST_KIND) bad('wrong kind');
  if (o.version !== MANIFEST_VERSION) bad(`unsupported manifest version ${String(o.version)}`);
  for (const k of ['setId', 'instance', 'sealedAt', 'snapshotTime'] as const) {
    if (typeof o[k] !== 'string') bad(`${k} missing`);
  }
  const src = o.source;
  if (!src || (src.format !== 'dfs' && src.format !== 'rdb') || typeof src.stem !== 'string') bad('source');
  if (!Array.isArray(o.files) || o.files.length < 1 || o.files.length > MAX_MANIFEST_FILES) bad('files');
  const names = new Set<string>();
  for (const f of o.files ?? []) {
    // An entry that is not an object (null, a number) must be an IntegrityError, not a TypeError.
    if (typeof f !== 'object' || f === null || Array.isArray(f)) bad('file entry is not an object');
    if (typeof f.name !== 'string' || !SAFE_NAME.test(f.name) || f.name === '.' || f.name === '..') {
      bad('file name');
    }
    if (names.has(f.name)) bad(`duplicate file ${f.name}`);
    names.add(f.name);
    if (!['shard', 'summary', 'rdb'].includes(f.role)) bad(`role of ${f.name}`);
    for (const k of ['size', 'encryptedSize'] as const) {
      if (!Number.isSafeInteger(f[k]) || f[k] < 0) bad(`${k} of ${f.name}`);
    }
    if (typeof f.payloadSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.payloadSha256))
      bad(`digest of ${f.name}`);
  }
  return o as Manifest;
}
