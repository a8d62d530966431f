/** One `watch` per Dragonfly directory: a hidden lock file there (ignored by the scanner). */
import { join } from 'node:path';
import { LockFile } from '../io/lock-file.js';

export const DIR_LOCK_FILE = '.snapshot-guard.lock';

export function lockDragonflyDir(dir: string, purpose: string): Promise<LockFile> {
  return LockFile.acquire(join(dir, DIR_LOCK_FILE), dir, purpose);
}
