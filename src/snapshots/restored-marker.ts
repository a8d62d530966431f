/**
 * `restore` leaves a marker in Dragonfly's directory naming the files it put there, so that `watch`
 * does not seal a restored set a second time and instead shreds it once Dragonfly has loaded it.
 * The marker is a hidden file (ignored by the scanner) written atomically.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { errnoCode } from '../errors.js';
import { writeJsonAtomic } from '../io/json-file.js';
import { removeIfExists } from '../io/durable.js';

export const RESTORED_MARKER = '.snapshot-guard-restored.json';

export interface RestoredMarker {
  setId: string;
  restoredAt: string;
  /** Files as restored: a file counts as "ours" only while name, inode, size and mtime all match. */
  files: { name: string; ino: number; size: number; mtimeMs: number }[];
}

export function markerPath(dragonflyDir: string): string {
  return join(dragonflyDir, RESTORED_MARKER);
}

export async function readRestoredMarker(dragonflyDir: string): Promise<RestoredMarker | undefined> {
  try {
    const v = JSON.parse(await readFile(markerPath(dragonflyDir), 'utf8')) as RestoredMarker;
    return Array.isArray(v.files) && typeof v.setId === 'string' ? v : undefined;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/**
 * Mode 0640: the marker holds no secret, and `watch` may run as another user in Dragonfly's group
 * (the systemd units in deploy/), which must be able to read it.
 */
export function writeRestoredMarker(dragonflyDir: string, marker: RestoredMarker): Promise<void> {
  return writeJsonAtomic(markerPath(dragonflyDir), marker, 0o640);
}

export function removeRestoredMarker(dragonflyDir: string): Promise<void> {
  return removeIfExists(markerPath(dragonflyDir));
}
