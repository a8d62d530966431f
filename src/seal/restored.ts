/**
 * Plaintext that `restore` put back for Dragonfly to load is not a new snapshot: it is shredded (not
 * sealed again) once Dragonfly reports that loading finished, or after a grace period without a URL.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  readRestoredMarker,
  removeRestoredMarker,
  type RestoredMarker,
} from '../snapshots/restored-marker.js';
import type { SnapshotSet } from '../snapshots/scan.js';
import { loadingFinished } from '../snapshots/dragonfly-info.js';

export interface RestoredPolicy {
  dragonflyUrl?: string;
  graceMs: number;
}

/** Whether every file of `set` is exactly a file `restore` wrote (same name, inode, size, mtime). */
export function isRestoredSet(set: SnapshotSet, marker: RestoredMarker | undefined): boolean {
  if (!marker) return false;
  return set.files.every((f) =>
    marker.files.some(
      (m) => m.name === f.name && m.ino === f.ino && m.size === f.size && m.mtimeMs === f.mtimeMs,
    ),
  );
}

export async function currentMarker(dragonflyDir: string): Promise<RestoredMarker | undefined> {
  return readRestoredMarker(dragonflyDir);
}

/** Decides whether restored plaintext may be removed now. */
export async function restoredSetLoaded(
  marker: RestoredMarker,
  policy: RestoredPolicy,
  log: Logger,
  now = Date.now(),
): Promise<boolean> {
  if (policy.dragonflyUrl) {
    const done = await loadingFinished(policy.dragonflyUrl);
    if (done === undefined)
      log.debug('Dragonfly not reachable yet; restored plaintext kept until it reports loading:0');
    return done === true;
  }
  return now - Date.parse(marker.restoredAt) >= policy.graceMs;
}

/** Whether any file the marker names is still present with the identity restore gave it. */
export async function anyRestoredFileLeft(dragonflyDir: string, marker: RestoredMarker): Promise<boolean> {
  for (const m of marker.files) {
    try {
      const st = await lstat(join(dragonflyDir, m.name));
      if (st.ino === m.ino && st.size === m.size && st.mtimeMs === m.mtimeMs) return true;
    } catch {
      /* gone */
    }
  }
  return false;
}

export async function forgetMarker(dragonflyDir: string): Promise<void> {
  await removeRestoredMarker(dragonflyDir);
}
