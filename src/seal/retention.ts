/**
 * Retention of sealed sets: keep the last N and/or those sealed within a duration. A set survives if
 * any configured rule keeps it; the newest verified set is always kept; only published sets are ever
 * removed, and the store makes each one invisible before deleting its files.
 */
import { timeFromSetId } from '../store/names.js';
import type { Store } from '../store/store.js';

export interface RetentionPolicy {
  keepLast?: number;
  keepWithinMs?: number;
}

function setTimeMs(setId: string): number {
  const iso = timeFromSetId(setId);
  return iso ? Date.parse(iso) : 0;
}

/** Which of `ids` (newest first) the policy deletes; `newestVerified` and the newest set always stay. */
export function setsToDelete(
  ids: string[],
  policy: RetentionPolicy,
  newestVerified: string | undefined,
  now: number,
): string[] {
  if (policy.keepLast === undefined && policy.keepWithinMs === undefined) return [];
  return ids.filter((id, i) => {
    const keptByCount = policy.keepLast !== undefined && i < policy.keepLast;
    const keptByAge = policy.keepWithinMs !== undefined && now - setTimeMs(id) <= policy.keepWithinMs;
    return !(keptByCount || keptByAge || id === newestVerified || i === 0);
  });
}

export async function applyRetention(
  store: Store,
  policy: RetentionPolicy,
  now = Date.now(),
): Promise<string[]> {
  if (policy.keepLast === undefined && policy.keepWithinMs === undefined) return [];
  const ids = await store.listSets();
  let newestVerified: string | undefined;
  for (const id of ids) {
    if ((await store.readStatus(id))?.ok) {
      newestVerified = id;
      break;
    }
  }
  const doomed = setsToDelete(ids, policy, newestVerified, now);
  for (const id of doomed) await store.removeSet(id);
  return doomed;
}
