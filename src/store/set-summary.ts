/**
 * What `list` shows about a sealed set, without any key: set.json for the details, the file headers
 * (which hold the context and the wrapped key ids in clear) when set.json is missing, real file sizes
 * from the disk, the wrapping keys from the manifest's header (what a restore will really need), and
 * the last verification from status.json.
 */
import { errorMessage } from '../errors.js';
import type { FileRole, ManifestPrevious, SnapshotFormat } from '../format/manifest.js';
import { plaintextLengthFor } from '../format/payload.js';
import { ENCRYPTED_SUFFIX, MANIFEST_FILE, encryptedNameFor, timeFromSetId } from './names.js';
import { readStoredHeader } from './sealed-set.js';
import { claimedPrevious, type SetInfo, type SetStatus } from './set-info.js';
import type { Store, StoredFile } from './store.js';

export interface SetSummaryFile {
  name: string;
  role: FileRole;
  /** Plaintext bytes (from set.json, or computed from the encrypted size). */
  size: number | null;
  /** Bytes on disk now (null when the file is missing). */
  encryptedSize: number | null;
}

export interface SetSummary {
  setId: string;
  /** When the snapshot was completed (mtime of its summary / .rdb), ISO 8601. */
  snapshotTime: string | null;
  sealedAt: string | null;
  instance: string | null;
  format: SnapshotFormat | null;
  stem: string | null;
  snapshotId: string | null;
  shardCount: number | null;
  files: SetSummaryFile[];
  plaintextBytes: number | null;
  /** Every encrypted file of the set, manifest included. */
  encryptedBytes: number;
  wrappedKeys: { provider: string; keyId: string }[];
  lastVerification: SetStatus | null;
  /**
   * The set sealed before it, as set.json says (NOT authenticated; `verify --all` checks the manifest's):
   * a link, null for the first set of a chain, absent for a version-1 set or without set.json.
   */
  previous?: ManifestPrevious | null;
  /** Where the details came from. */
  source: 'set.json' | 'headers';
  /** What looks wrong without a key (missing or extra files, unreadable headers). */
  problems: string[];
}

function roleOf(name: string): FileRole {
  if (name.endsWith('.rdb')) return 'rdb';
  return name.endsWith('-summary.dfs') ? 'summary' : 'shard';
}

export { timeFromSetId };

function restoreOrder(a: SetSummaryFile, b: SetSummaryFile): number {
  const rank = (f: SetSummaryFile) => (f.role === 'shard' ? 0 : 1);
  return rank(a) - rank(b) || a.name.localeCompare(b.name);
}

function fromInfo(info: SetInfo): Omit<SetSummary, 'encryptedBytes' | 'lastVerification' | 'problems'> {
  const files = info.files.map((f) => ({ name: f.name, role: f.role, size: f.size, encryptedSize: null }));
  return {
    setId: info.setId,
    snapshotTime: info.snapshotTime,
    sealedAt: info.sealedAt,
    instance: info.instance,
    format: info.format,
    stem: info.stem,
    snapshotId: info.snapshotId,
    shardCount: info.shardCount,
    files,
    plaintextBytes: files.reduce((s, f) => s + f.size, 0),
    wrappedKeys: info.wrappedKeys,
    source: 'set.json',
  };
}

async function fromHeaders(
  store: Store,
  setId: string,
  present: StoredFile[],
  problems: string[],
): Promise<Omit<SetSummary, 'encryptedBytes' | 'lastVerification' | 'problems'>> {
  const files: SetSummaryFile[] = [];
  let instance: string | null = null;
  for (const { name: encName, size: onDisk } of present.filter((f) => f.name !== MANIFEST_FILE)) {
    const name = encName.slice(0, -ENCRYPTED_SUFFIX.length);
    try {
      const h = await readStoredHeader(store, setId, encName, 'header');
      instance ??= h.context.instance;
      if (h.context.fileName !== name)
        problems.push(`${encName}: its header names file "${h.context.fileName}"`);
      if (h.context.setId !== setId) problems.push(`${encName}: its header names set ${h.context.setId}`);
      const size = plaintextLengthFor(onDisk - h.raw.length, h.segmentSize) ?? null;
      files.push({ name, role: roleOf(name), size, encryptedSize: null });
    } catch (err) {
      problems.push(`${encName}: ${errorMessage(err)}`); // not counted as part of the set
    }
  }
  files.sort(restoreOrder);
  const shards = files.filter((f) => f.role === 'shard').length;
  const format = files.length === 0 ? null : files.some((f) => f.name.endsWith('.dfs')) ? 'dfs' : 'rdb';
  const summary = files.find((f) => f.role === (format === 'dfs' ? 'summary' : 'rdb'));
  const stem = summary ? summary.name.replace(/(-summary\.dfs|\.rdb)$/, '') : null;
  const sizes = files.map((f) => f.size);
  return {
    setId,
    snapshotTime: timeFromSetId(setId),
    sealedAt: null,
    instance,
    format,
    stem,
    snapshotId: null,
    shardCount: format === 'dfs' ? shards : null,
    files,
    plaintextBytes: sizes.every((s) => s !== null) ? sizes.reduce<number>((s, n) => s + (n ?? 0), 0) : null,
    wrappedKeys: [],
    source: 'headers',
  };
}

/** Summarises one published set; never needs a key and never throws for a damaged set. */
export async function summariseSet(store: Store, setId: string): Promise<SetSummary> {
  const problems: string[] = [];
  let present: StoredFile[] = [];
  try {
    present = await store.listFiles(setId);
  } catch (err) {
    problems.push(`cannot list the set's files: ${errorMessage(err)}`);
  }
  const sizes = new Map(present.map((f) => [f.name, f.size]));
  const info = await store.readInfo(setId).catch(() => undefined);
  const base = info ? fromInfo(info) : await fromHeaders(store, setId, present, problems);
  if (!info) problems.push('set.json is missing: details were read from the file headers');

  const listed = new Set(base.files.map((f) => encryptedNameFor(f.name)));
  for (const { name } of present) {
    if (name !== MANIFEST_FILE && !listed.has(name))
      problems.push(`${name}: extra file, not part of this set`);
  }
  let encryptedBytes = 0;
  for (const f of base.files) {
    f.encryptedSize = sizes.get(encryptedNameFor(f.name)) ?? null;
    if (f.encryptedSize === null) problems.push(`${encryptedNameFor(f.name)}: missing`);
    encryptedBytes += f.encryptedSize ?? 0;
  }
  const manifestSize = sizes.get(MANIFEST_FILE);
  encryptedBytes += manifestSize ?? 0;
  let wrappedKeys = base.wrappedKeys;
  if (manifestSize === undefined) {
    problems.push(`${MANIFEST_FILE}: missing (the set cannot be verified or restored)`);
  } else {
    try {
      const h = await readStoredHeader(store, setId, MANIFEST_FILE, 'header');
      // The manifest header is what restore unwraps: it is the truth about the wrapping keys.
      wrappedKeys = h.wrappedKeys.map(({ provider, keyId }) => ({ provider, keyId }));
      if (h.context.setId !== setId) problems.push(`${MANIFEST_FILE}: belongs to set ${h.context.setId}`);
    } catch (err) {
      problems.push(`${MANIFEST_FILE}: ${errorMessage(err)}`);
    }
  }
  const status = await store.readStatus(setId).catch(() => undefined);
  const previous = claimedPrevious(info);
  return {
    ...base,
    setId,
    encryptedBytes,
    wrappedKeys,
    lastVerification: status ?? null,
    ...(previous === undefined ? {} : { previous }),
    problems,
  };
}
