/**
 * How a local directory store lays out sealed sets (the only file that knows it):
 *
 *   DIR/
 *     .staging/<set-id>/...      work in progress; discarded at start
 *     .staging/deleting-<id>/    a set being removed by retention (already invisible)
 *     .quarantine/<id>-<ms>/     published sets that failed verification; never deleted
 *     <set-id>/                  a published set, made visible by one rename
 *     .lock                      held by the one `watch` writing here (io/lock-file.ts)
 */
import { join } from 'node:path';

export const STAGING_DIR = '.staging';
export const QUARANTINE_DIR = '.quarantine';
export const LOCK_FILE = '.lock';

export function setDir(root: string, setId: string): string {
  return join(root, setId);
}

export function stagingDir(root: string, setId: string): string {
  return join(root, STAGING_DIR, setId);
}
