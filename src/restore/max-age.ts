/**
 * `restore --latest --max-age DURATION`: the newest sealed set must be younger than DURATION. Deleting
 * the newest sets leaves an older chain that is complete and authentic (docs/SECURITY.md "Deleted and
 * replaced sets"); only its age gives it away. A set's time is the snapshot time in its id, which its
 * manifest and every header authenticate once the set is restored.
 */
import { timeFromSetId } from '../store/names.js';

export interface StaleSet {
  setId: string;
  snapshotTime: string;
  maxAgeSeconds: number;
}

function ageMs(setId: string, now: number): number {
  const iso = timeFromSetId(setId);
  return iso ? now - Date.parse(iso) : Number.POSITIVE_INFINITY;
}

/** The set when its snapshot time is more than `maxAgeMs` before `now`, else undefined. */
export function staleSet(setId: string | undefined, maxAgeMs: number, now: number): StaleSet | undefined {
  if (setId === undefined || ageMs(setId, now) <= maxAgeMs) return undefined;
  return {
    setId,
    snapshotTime: timeFromSetId(setId) ?? 'unknown',
    maxAgeSeconds: Math.round(maxAgeMs / 1000),
  };
}

/** The sets of `ids` young enough to be restored. */
export function freshSets(ids: string[], maxAgeMs: number, now: number): string[] {
  return ids.filter((id) => ageMs(id, now) <= maxAgeMs);
}

function duration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** One line: which set, how old, and the two usual causes. */
export function staleMessage(s: StaleSet, newest: boolean): string {
  return `${newest ? 'the newest sealed set' : 'set'} ${s.setId} is a snapshot of ${s.snapshotTime}, older than --max-age ${duration(s.maxAgeSeconds)}: newer sets may have been deleted, or sealing stopped (docs/RUNBOOK.md "newest set too old")`;
}
