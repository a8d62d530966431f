/**
 * Where sealed sets live inside ENCRYPTED_DIR (docs/FORMAT.md "Sealed set directory"):
 *
 *   ENCRYPTED_DIR/
 *     .staging/<set-id>/...        work in progress; discarded at start
 *     <set-id>/                    a published set, made visible by one rename
 *       manifest.sgm               encrypted manifest (context file name "")
 *       <file name>.sg             one encrypted file per snapshot file
 *       set.json                   what the set holds, for listings (informational, not authenticated)
 *       status.json                last verification result (informational, not authenticated)
 *
 * A set id is "<snapshot time UTC, ms>_<stem>", so ids sort by time and repeated saves under the same
 * Dragonfly file names never collide.
 */
import { join } from 'node:path';

export const STAGING_DIR = '.staging';
export const MANIFEST_FILE = 'manifest.sgm';
export const ENCRYPTED_SUFFIX = '.sg';
export const STATUS_FILE = 'status.json';
export const SET_INFO_FILE = 'set.json';
export const QUARANTINE_DIR = '.quarantine';
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

export function setDir(encryptedDir: string, setId: string): string {
  return join(encryptedDir, setId);
}

export function stagingDir(encryptedDir: string, setId: string): string {
  return join(encryptedDir, STAGING_DIR, setId);
}

export function encryptedNameFor(fileName: string): string {
  return `${fileName}${ENCRYPTED_SUFFIX}`;
}
