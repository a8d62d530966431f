import { UserError } from '../errors.js';

/** The snapshot changed or vanished while it was being sealed: rescan, nothing to retry as such. */
export class SourceChangedError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'SourceChangedError';
  }
}
