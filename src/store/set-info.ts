/** set.json: an unauthenticated summary of a sealed set, so that listings need no key. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileRole, SnapshotFormat } from '../format/manifest.js';
import { SET_INFO_FILE, STATUS_FILE } from './layout.js';
import { errnoCode } from '../errors.js';

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

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

export function readSetInfo(setDirPath: string): Promise<SetInfo | undefined> {
  return readJson<SetInfo>(join(setDirPath, SET_INFO_FILE));
}

export function readSetStatus(setDirPath: string): Promise<SetStatus | undefined> {
  return readJson<SetStatus>(join(setDirPath, STATUS_FILE));
}
