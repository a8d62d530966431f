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
