/**
 * Retention of sealed sets: keep the last N and/or those sealed within a duration. A set survives if
 * any configured rule keeps it; the newest verified set is always kept; only published sets are ever
 * removed, and the store makes each one invisible before deleting its files.
 *
 * Only the oldest sets go, oldest first, and never one newer than a set that stays: the chain check
 * (store/chain.ts) reports a set that is gone while an older one remains as deleted out of order, so
 * retention must never leave such a gap, not even when interrupted or stopped by Object Lock.
 */
import { SetLockedError } from '../store/errors.js';
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

/**
 * Which of `ids` (newest first) the policy deletes, oldest first; `newestVerified` and the newest set
 * always stay, and so does every set newer than a set that stays (no gap in the chain).
 * --keep-within counts back from the newest set's time, not from the clock (as restic does): a clock
 * that jumps ahead must not make fresh sets look old, and a host that stopped sealing keeps its last
 * sets however long it stays down.
 */
export function setsToDelete(
  ids: string[],
  policy: RetentionPolicy,
  newestVerified: string | undefined,
): string[] {
  if (policy.keepLast === undefined && policy.keepWithinMs === undefined) return [];
  const newestTime = Math.max(...ids.map(setTimeMs));
  const kept = (id: string, i: number) => {
    const keptByCount = policy.keepLast !== undefined && i < policy.keepLast;
    const keptByAge = policy.keepWithinMs !== undefined && newestTime - setTimeMs(id) <= policy.keepWithinMs;
    return keptByCount || keptByAge || id === newestVerified || i === 0;
  };
  let oldestKept = 0;
  ids.forEach((id, i) => {
    if (kept(id, i)) oldestKept = i;
  });
  return ids.slice(oldestKept + 1).reverse();
}

/** The newest set's time when it lies ahead of the clock by more than a minute (a clock problem). */
export function futureSetTime(ids: string[], now: number): string | undefined {
  const newest = ids[0];
  return newest !== undefined && setTimeMs(newest) > now + 60_000
    ? (timeFromSetId(newest) ?? undefined)
    : undefined;
}

/** A set retention wanted gone that the store keeps (S3 Object Lock): skipped, tried again next time. */
export interface LockedSkip {
  setId: string;
  reason: string;
}

export interface RetentionOutcome {
  removed: string[];
  /** Set when the newest set's time is in the future. */
  futureSetTime?: string;
  /** Sets Object Lock kept (each also logged). */
  locked?: LockedSkip[];
}

export async function applyRetention(
  store: Store,
  policy: RetentionPolicy,
  now = Date.now(),
  log?: { warn: (obj: object, msg: string) => void },
): Promise<RetentionOutcome> {
  if (policy.keepLast === undefined && policy.keepWithinMs === undefined) return { removed: [] };
  const ids = await store.listSets();
  let newestVerified: string | undefined;
  for (const id of ids) {
    if ((await store.readStatus(id))?.ok) {
      newestVerified = id;
      break;
    }
  }
  const removed: string[] = [];
  const locked: LockedSkip[] = [];
  for (const id of setsToDelete(ids, policy, newestVerified)) {
    try {
      await store.removeSet(id);
      removed.push(id);
    } catch (err) {
      if (!(err instanceof SetLockedError)) throw err;
      locked.push({ setId: id, reason: err.message });
      // Newer sets wait for it: deleting them now would open a gap in the chain.
      log?.warn(
        { setId: id, reason: err.message, newerSetsWait: true },
        'retention skipped a set under Object Lock',
      );
      break;
    }
  }
  const future = futureSetTime(ids, now);
  return { removed, ...(locked.length > 0 ? { locked } : {}), ...(future ? { futureSetTime: future } : {}) };
}
