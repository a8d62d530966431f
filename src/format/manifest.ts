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
/** The version writers write; readers accept 1 (no `previous`) and 2 (docs/FORMAT.md section 12). */
export const MANIFEST_VERSION = 2;
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

/** The set sealed before this one in the same store (version 2): the chain that shows deletions. */
export interface ManifestPrevious {
  setId: string;
  /** SHA-256 of the predecessor's stored manifest.sgm payload (the bytes after its header), hex. */
  manifestSha256: string;
}

interface ManifestFields {
  kind: typeof MANIFEST_KIND;
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

export interface ManifestV1 extends ManifestFields {
  version: 1;
}

export interface ManifestV2 extends ManifestFields {
  version: 2;
  /** null for the first set of a chain (the store held no set when it was sealed). */
  previous: ManifestPrevious | null;
}

export type Manifest = ManifestV1 | ManifestV2;

/** The predecessor a manifest names: a link, null (first of a chain), undefined (version 1: unknown). */
export function previousOf(m: Manifest): ManifestPrevious | null | undefined {
  return m.version === 2 ? m.previous : undefined;
}

/** Writes a manifest; refuses one that no decoder would accept (docs/FORMAT.md section 12). */
export function encodeManifest(m: Manifest): Buffer {
  const bytes = Buffer.from(`${JSON.stringify(m, null, 2)}\n`, 'utf8');
  decodeManifest(bytes, 'manifest to be written');
  return bytes;
}

const TOP_MEMBERS_V1 = [
  'kind',
  'version',
  'setId',
  'instance',
  'sealedAt',
  'snapshotTime',
  'source',
  'files',
];
const TOP_MEMBERS = { 1: TOP_MEMBERS_V1, 2: [...TOP_MEMBERS_V1, 'previous'] } as const;
const PREVIOUS_MEMBERS = ['setId', 'manifestSha256'];
const SHA256_HEX = /^[0-9a-f]{64}$/;
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

/** Why `previous` (version 2) is not null or a valid link, or undefined when it is. */
function previousProblem(p: JsonValue | undefined, setId: string): string | undefined {
  if (p === null) return undefined;
  if (!isObject(p)) return 'is neither null nor an object';
  const members = membersProblem(p, PREVIOUS_MEMBERS);
  if (members) return members;
  if (typeof p.setId !== 'string') return 'setId is not a string';
  const problem = nameProblem(p.setId, MAX_SET_ID_BYTES);
  if (problem) return `setId ${problem}`;
  if (p.setId === setId) return 'names the set itself';
  if (typeof p.manifestSha256 !== 'string' || !SHA256_HEX.test(p.manifestSha256))
    return 'manifestSha256 is not 64 lowercase hex digits';
  return undefined;
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
  if (o.version !== 1 && o.version !== 2) bad(`unsupported manifest version ${JSON.stringify(o.version)}`);
  const top = membersProblem(o, [...TOP_MEMBERS[o.version as 1 | 2]]);
  if (top) bad(top);
  if (typeof o.setId !== 'string') return bad('setId is not a string');
  const setIdProblem = nameProblem(o.setId, MAX_SET_ID_BYTES);
  if (setIdProblem) bad(`setId ${setIdProblem}`);
  if (o.version === 2) {
    const problem = previousProblem(o.previous, o.setId);
    if (problem) bad(`previous ${problem}`);
  }
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
    if (typeof f.payloadSha256 !== 'string' || !SHA256_HEX.test(f.payloadSha256)) bad(`digest of ${f.name}`);
  }
  const manifest = o as unknown as Manifest;
  const incomplete = completenessProblem(manifest);
  if (incomplete) bad(`not a complete set: ${incomplete}`);
  return manifest;
}
