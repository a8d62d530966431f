import { UserError, errnoCode } from '../errors.js';
import type { SealFailureReason } from '../observe/observer.js';
import { StoreError } from '../store/errors.js';
import { SnapshotUnreadableError, SourceChangedError } from '../snapshots/source-changed.js';

/** Classifies a sealing failure for metrics and log messages. */
export function failureReason(err: unknown): SealFailureReason {
  if (err instanceof SourceChangedError) return 'source_changed';
  if (err instanceof SnapshotUnreadableError) return err.reason;
  if (err instanceof StoreError) return 'store';
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'no_space';
  if (err instanceof Error && err.name === 'KeyProviderError') return 'key_provider';
  if (err instanceof Error && err.name === 'IntegrityError') return 'verify';
  if (code === 'EACCES' || code === 'EPERM') return 'permission';
  if (code !== undefined) return 'io';
  if (err instanceof UserError && /key|unwrap|wrap/i.test(err.message)) return 'key_provider';
  return 'other';
}
