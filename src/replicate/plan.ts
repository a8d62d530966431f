/**
 * Which sets a copy target still needs (pure decisions, unit-tested). Set ids start with the snapshot
 * time, so they sort by time.
 *
 * A target is not pruned by snapshot-guard: its bucket lifecycle rules or Object Lock expire copies.
 * So a primary set older than the oldest copy is one the target already let go, not one it is
 * missing: copying it again would undo the target's own expiry, every pass. Only gaps from the
 * oldest copy on are filled; an empty target gets every set.
 */
import { timeFromSetId } from '../store/names.js';

/** Sets in `primary` that `target` lacks, oldest first (both lists in any order). */
export function setsToCopy(primary: readonly string[], target: readonly string[]): string[] {
  const have = new Set(target);
  const oldestCopy = [...target].sort()[0];
  return [...primary].filter((id) => !have.has(id) && (oldestCopy === undefined || id > oldestCopy)).sort();
}

/** The snapshot time of a set id in Unix ms, or undefined for an id without one. */
export function setTimeMs(setId: string): number | undefined {
  const iso = timeFromSetId(setId);
  return iso ? Date.parse(iso) : undefined;
}

/** The snapshot time of the oldest of `waiting`, or undefined when nothing waits. */
export function oldestWaiting(waiting: Iterable<string>): number | undefined {
  let oldest: number | undefined;
  for (const id of waiting) {
    const t = setTimeMs(id);
    if (t !== undefined && (oldest === undefined || t < oldest)) oldest = t;
  }
  return oldest;
}
