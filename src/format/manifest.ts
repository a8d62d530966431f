/**
 * The set manifest: which files make up a sealed snapshot set. It is stored as an encrypted file of its
 * own (context file name "") under the set's data key, so it is authenticated and confidential; this
 * module only turns it into bytes and back, strictly validated.
 */
import { IntegrityError } from '../errors.js';
import { MAX_INSTANCE_LENGTH } from './limits.js';
import { completenessProblem } from './manifest-completeness.js';
import { MAX_SET_ID_BYTES, MAX_SNAPSHOT_NAME_BYTES, nameProblem } from './names.js';
import { parseStrictJson, type JsonValue } from './strict-json.js';

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

/** Writes a manifest; refuses one that no decoder would accept (docs/FORMAT.md section 12). */
export function encodeManifest(m: Manifest): Buffer {
  const bytes = Buffer.from(`${JSON.stringify(m, null, 2)}\n`, 'utf8');
  decodeManifest(bytes, 'manifest to be written');
  return bytes;
}

const TOP_MEMBERS = ['kind', 'version', 'setId', 'instance', 'sealedAt', 'snapshotTime', 'source', 'files'];
const SOURCE_MEMBERS = ['format', 'stem', 'snapshotId', 'shardCount'];
const FILE_MEMBERS = ['name', 'role', 'size', 'encryptedSize', 'payloadSha256'];
/** The form Date.prototype.toISOString writes. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

type Fields = Record<string, JsonValue>;

function isObject(v: JsonValue | undefined): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Exactly these members, no others: every decoder reads the same manifest the same way. */
function membersProblem(o: Fields, members: string[]): string | undefined {
  const extra = Object.keys(o).find((k) => !members.includes(k));
  if (extra !== undefined) return `unknown member "${extra}"`;
  const missing = members.find((k) => !(k in o));
  return missing === undefined ? undefined : `${missing} missing`;
}

export function decodeManifest(bytes: Buffer, what = 'manifest'): Manifest {
  const bad = (m: string): never => {
    throw new IntegrityError(`${what} is invalid: ${m}`);
  };
  if (bytes.length > MAX_MANIFEST_BYTES) bad('too large');
  let o: JsonValue = null;
  try {
    o = parseStrictJson(bytes);
  } catch (err) {
    bad(`not JSON as the format requires: ${(err as Error).message}`);
  }
  if (!isObject(o)) return bad('not an object');
  if (o.kind !== MANIFEST_KIND) bad('wrong kind');
  if (o.version !== MANIFEST_VERSION) bad(`unsupported manifest version ${JSON.stringify(o.version)}`);
  const top = membersProblem(o, TOP_MEMBERS);
  if (top) bad(top);
  if (typeof o.setId !== 'string') return bad('setId is not a string');
  const setIdProblem = nameProblem(o.setId, MAX_SET_ID_BYTES);
  if (setIdProblem) bad(`setId ${setIdProblem}`);
  if (typeof o.instance !== 'string' || Buffer.byteLength(o.instance) > MAX_INSTANCE_LENGTH) bad('instance');
  for (const k of ['sealedAt', 'snapshotTime'] as const) {
    const t = o[k];
    if (typeof t !== 'string' || !ISO_TIME.test(t)) bad(`${k} is not a time like 2026-11-23T17:40:00.000Z`);
  }
  const src = o.source;
  if (!isObject(src) || membersProblem(src, SOURCE_MEMBERS)) return bad('source');
  if ((src.format !== 'dfs' && src.format !== 'rdb') || typeof src.stem !== 'string') bad('source');
  if (src.snapshotId !== null && typeof src.snapshotId !== 'string') bad('source.snapshotId');
  if (src.shardCount !== null && typeof src.shardCount !== 'number') bad('source.shardCount');
  const files = o.files;
  if (!Array.isArray(files) || files.length < 1 || files.length > MAX_MANIFEST_FILES) return bad('files');
  const names = new Set<string>();
  for (const f of files) {
    // An entry that is not an object (null, a number) must be an IntegrityError, not a TypeError.
    if (!isObject(f)) return bad('file entry is not an object');
    if (typeof f.name !== 'string') return bad('file name');
    const problem = nameProblem(f.name, MAX_SNAPSHOT_NAME_BYTES);
    if (problem) bad(`file name ${JSON.stringify(f.name)} ${problem}`);
    const members = membersProblem(f, FILE_MEMBERS);
    if (members) bad(`file ${f.name}: ${members}`);
    if (names.has(f.name)) bad(`duplicate file ${f.name}`);
    names.add(f.name);
    if (!['shard', 'summary', 'rdb'].includes(f.role as string)) bad(`role of ${f.name}`);
    for (const k of ['size', 'encryptedSize'] as const) {
      if (typeof f[k] !== 'number') bad(`${k} of ${f.name}`);
    }
    if (typeof f.payloadSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.payloadSha256))
      bad(`digest of ${f.name}`);
  }
  const manifest = o as unknown as Manifest;
  const incomplete = completenessProblem(manifest);
  if (incomplete) bad(`not a complete set: ${incomplete}`);
  return manifest;
}
