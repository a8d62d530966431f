/** Errors of the `age` provider: each one line that says what is wrong, where, and what to do. */
import { KeyProviderError } from '../errors.js';

/** An age identity or recipient that cannot be used; never transient (waiting does not fix a file). */
export function ageConfigError(message: string): KeyProviderError {
  return new KeyProviderError(message, false);
}

/** Thrown when a write-only age provider (recipients only) is asked to open a data key. */
export class AgeNoIdentityError extends KeyProviderError {
  constructor(keyId: string) {
    super(
      `age recipients ${keyId}: this host holds no age identity, so it can seal but not open sets; run this on a host with the identity (--age-identity PATH)`,
      false,
    );
    this.name = 'AgeNoIdentityError';
  }
}
