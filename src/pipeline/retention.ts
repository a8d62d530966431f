/**
 * Retention of sealed sets: keep the last N and/or those sealed within a duration. A set survives if
 * any configured rule keeps it; the newest verified set is always kept; only set directories are ever
 * removed (moved into staging first, so a half-deleted set is never visible as published).
 */
import { rename, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setDir, STAGING_DIR } from '../store/layout.js';
import { sealedSetIds } from '../store/sets.js';
import { timeFromSetId } from '../store/set-summary.js';
import { readSetStatus } from '../store/set-info.js';
import { fsyncDir } from '../io/durable.js';

export interface RetentionPolicy {
  keepLast?: number;
  keepWithinMs?: number;
}

function setTimeMs(setId: string): number {
  const iso = timeFromSetId(setId);
  return iso ? Date.parse(iso) : 0;
}

export async function applyRetention(
  encryptedDir: string,
  policy: RetentionPolicy,
  now = Date.now(),
): Promise<string[]> {
  if (policy.keepLast === undefined && policy.keepWithinMs === undefined) return [];
  const ids = await sealedSetIds(encryptedDir);
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
