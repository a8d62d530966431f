/**
 * What the last `restore` into Dragonfly's directory did, for `watch` to export as metrics: whether it
 * worked, which set it restored, and which newer sets it skipped because they failed verification.
 * A hidden file (ignored by the scanner) beside the restored-files marker; it is never removed, so the
 * daemon still knows after its own restart.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../errors.js';
import { writeJsonAtomic } from '../io/json-file.js';

export const RESTORE_STATUS_FILE = '.snapshot-guard-restore.json';

export interface RestoreStatus {
  /** ISO time of the restore. */
  at: string;
  ok: boolean;
  setId?: string;
  /** Newer sets passed over because they did not verify (restore --latest without --strict). */
  skipped: { setId: string; error: string }[];
  error?: string;
  /** restore --if-empty --max-age restored a set older than the maximum age (newest sets gone?). */
  stale?: { setId: string; snapshotTime: string; maxAgeSeconds: number };
}

export async function readRestoreStatus(dir: string): Promise<RestoreStatus | undefined> {
  try {
    const v = JSON.parse(await readFile(join(dir, RESTORE_STATUS_FILE), 'utf8')) as RestoreStatus;
    return typeof v.at === 'string' && Array.isArray(v.skipped) ? v : undefined;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Mode 0640 like the marker: `watch` may run as another user in Dragonfly's group. */
export function writeRestoreStatus(dir: string, status: RestoreStatus): Promise<void> {
  return writeJsonAtomic(join(dir, RESTORE_STATUS_FILE), status, 0o640);
}
