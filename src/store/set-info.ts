/** set.json and status.json: unauthenticated notes beside a sealed set, so that listings need no key. */
import type { FileRole, SnapshotFormat } from '../format/manifest.js';

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
