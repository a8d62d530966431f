/**
 * Test-only fault injection: when SNAPSHOT_GUARD_TEST_CRASH_AT names a point, the process kills itself
 * with SIGKILL there, so crash-safety tests can hit every step deterministically. Unset in production.
 */
export type CrashPoint =
  | 'after-staging'
  | 'after-encrypt'
  | 'after-publish'
  | 'after-verify'
  | 'mid-shred'
  | 'mid-overwrite'
  | 'after-shred';

const target = process.env.SNAPSHOT_GUARD_TEST_CRASH_AT;

export function crashPoint(point: CrashPoint): void {
  if (target === point) process.kill(process.pid, 'SIGKILL');
}
