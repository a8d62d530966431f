import { UserError, errnoCode } from '../errors.js';

/** The snapshot changed or vanished while it was being sealed: rescan, nothing to retry as such. */
export class SourceChangedError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'SourceChangedError';
  }
}

/** Why a snapshot could not be read: a configuration problem to fix, not a snapshot that went away. */
export type UnreadableReason = 'permission' | 'io';

export class SnapshotUnreadableError extends UserError {
  constructor(
    message: string,
    readonly reason: UnreadableReason,
  ) {
    super(message);
    this.name = 'SnapshotUnreadableError';
  }
}

/** Turns an error opening a snapshot file into what it means for sealing. */
export function openFailure(err: unknown, path: string, name: string): Error {
  const code = errnoCode(err);
  if (code === 'ENOENT') return new SourceChangedError(`${name} vanished before it could be sealed`);
  if (code === 'EACCES' || code === 'EPERM') {
    const uid = process.getuid?.() ?? -1;
    return new SnapshotUnreadableError(
      `permission denied reading ${path} (snapshot-guard runs as uid ${uid}); fix: run snapshot-guard as Dragonfly's user, or in its group with UMask=0007 in Dragonfly's systemd unit (snapshots then mode 0660) and --allow-group-access`,
      'permission',
    );
  }
  if (code === 'ELOOP')
    return new SnapshotUnreadableError(
      `${path} is a symbolic link; snapshot-guard never follows one, remove it`,
      'permission',
    );
  return new SnapshotUnreadableError(`cannot read ${path}: ${code ?? String(err)}`, 'io');
}
