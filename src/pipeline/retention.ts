/**
 * Retention of sealed sets: keep the last N and/or those sealed within a duration. A set survives if
 * any configured rule keeps it; the newest verified set is always kept; only set directories are ever
 * removed (moved into staging first, so a half-deleted set is never visible as published).
 */
import { readdir, rename, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isSetId, setDir, STAGING_DIR } from '../store/layout.js';
import { readSetStatus } from '../store/set-info.js';
import { fsyncDir } from '../io/durable.js';

export interface RetentionPolicy {
  keepLast?: number;
  keepWithinMs?: number;
}

/** Set ids are "<UTC time>_<stem>": the time prefix sorts them. Returns ids newest first. */
export async function publishedSetIds(encryptedDir: string): Promise<string[]> {
  const names = await readdir(encryptedDir);
  return names.filter(isSetId).sort().reverse();
}

export function setTimeMs(setId: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z/.exec(setId);
  if (!m) return 0;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
}

export async function applyRetention(
  encryptedDir: string,
  policy: RetentionPolicy,
  now = Date.now(),
): Promise<string[]> {
  if (policy.keepLast === undefined && policy.keepWithinMs === undefined) return [];
  const ids = await publishedSetIds(encryptedDir);
  let newestVerified: string | undefined;
  for (const id of ids) {
    if ((await readSetStatus(setDir(encryptedDir, id)))?.ok) {
      newestVerified = id;
      break;
    }
  }
  const removed: string[] = [];
  for (const [i, id] of ids.entries()) {
    const keptByCount = policy.keepLast !== undefined && i < policy.keepLast;
    const keptByAge = policy.keepWithinMs !== undefined && now - setTimeMs(id) <= policy.keepWithinMs;
    if (keptByCount || keptByAge || id === newestVerified || i === 0) continue;
    const trash = join(encryptedDir, STAGING_DIR, `deleting-${id}`);
    await mkdir(join(encryptedDir, STAGING_DIR), { recursive: true, mode: 0o700 });
    await rename(setDir(encryptedDir, id), trash);
    await fsyncDir(encryptedDir);
    await rm(trash, { recursive: true, force: true });
    removed.push(id);
  }
  return removed;
}
