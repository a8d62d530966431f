import { UserError } from '../errors.js';

/** The store does not exist (yet), so that `restore --if-empty` can treat it as "nothing sealed". */
export class NoStoreError extends UserError {
  constructor(readonly location: string) {
    super(
      `${location} does not exist; pass with --from the directory (or bucket URL) that \`snapshot-guard watch\` writes sealed sets to (its --out)`,
    );
    this.name = 'NoStoreError';
  }
}

/** removeSet hit an object the store will not delete yet (S3 Object Lock): the set stays, untouched. */
export class SetLockedError extends UserError {
  constructor(
    readonly setId: string,
    message: string,
  ) {
    super(message);
    this.name = 'SetLockedError';
  }
}

/** A remote store failed (unreachable, access denied, a server error): the seal is retried, reason "store". */
export class StoreError extends UserError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 1, options);
    this.name = 'StoreError';
  }
}
