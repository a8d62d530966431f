/**
 * Names inside every sealed set, whatever the store (docs/FORMAT.md "Sealed sets"):
 *
 *   <set-id>/
 *     manifest.sgm        encrypted manifest (context file name "")
 *     <file name>.sg      one encrypted file per snapshot file
 *     set.json            what the set holds, for listings (informational, not authenticated)
 *     status.json         last verification result (informational, not authenticated)
 *
 * A set id is "<snapshot time UTC, ms>_<stem>", so ids sort by time and repeated saves under the same
 * Dragonfly file names never collide.
 */
export const MANIFEST_FILE = 'manifest.sgm';
export const ENCRYPTED_SUFFIX = '.sg';
export const STATUS_FILE = 'status.json';
export const SET_INFO_FILE = 'set.json';
/** The manifest's context file name: empty, which no real snapshot file can have. */
export const MANIFEST_CONTEXT_NAME = '';

const SET_ID = /^\d{8}T\d{6}\.\d{3}Z_[A-Za-z0-9._-]{1,200}$/;

export function isSetId(name: string): boolean {
  return SET_ID.test(name);
}

/** Deterministic id of a snapshot set: same snapshot (time + stem) gives the same id. */
export function setIdFor(snapshotTimeMs: number, stem: string): string {
  const t = new Date(snapshotTimeMs).toISOString(); // 2026-11-23T17:40:05.123Z
  const compact = t.replace(/[-:]/g, '');
  const safeStem = stem.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 200) || 'snapshot';
  return `${compact}_${safeStem}`;
}

/** "20261123T174005.123Z_dump" → "2026-11-23T17:40:05.123Z". */
export function timeFromSetId(setId: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z_/.exec(setId);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z` : null;
}

export function encryptedNameFor(fileName: string): string {
  return `${fileName}${ENCRYPTED_SUFFIX}`;
}

/** The encrypted files of a set: the manifest and every NAME.sg. */
export function isSetFile(name: string): boolean {
  return name === MANIFEST_FILE || name.endsWith(ENCRYPTED_SUFFIX);
}
