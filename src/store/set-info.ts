/** set.json and status.json: unauthenticated notes beside a sealed set, so that listings need no key. */
import type { FileRole, ManifestPrevious, SnapshotFormat } from '../format/manifest.js';

export interface SetInfo {
  setId: string;
  instance: string;
  format: SnapshotFormat;
  stem: string;
  snapshotId: string | null;
  shardCount: number | null;
  snapshotTime: string;
  sealedAt: string;
  files: { name: string; role: FileRole; size: number; encryptedSize: number }[];
  wrappedKeys: { provider: string; keyId: string }[];
  /** The manifest's `previous` (version 2); absent for a version-1 set. A copy: only the manifest counts. */
  previous?: ManifestPrevious | null;
}

export interface SetStatus {
  /** ISO time of the last verification, and its result. */
  verifiedAt: string;
  ok: boolean;
  error?: string;
}

/** Parses a note; a damaged one counts as missing (it is informational only). */
export function parseNote<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * The `previous` a set.json claims, when it has the right shape: a link, null (first of a chain), or
 * undefined (a version-1 set, or a note that says nothing usable). Not authenticated.
 */
export function claimedPrevious(info: SetInfo | undefined): ManifestPrevious | null | undefined {
  const p = info?.previous as unknown;
  if (p === null) return null;
  if (typeof p !== 'object' || p === undefined) return undefined;
  const { setId, manifestSha256 } = p as Record<string, unknown>;
  return typeof setId === 'string' &&
    typeof manifestSha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(manifestSha256)
    ? { setId, manifestSha256 }
    : undefined;
}
