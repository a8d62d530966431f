/** Errors shared by the remote key providers (KMS, Vault). */
import { UserError } from '../errors.js';

/**
 * A key-provider failure the user can understand from its one-line message.
 *
 * `transient` tells a long-running caller (the watcher) what to do next:
 * - `true`: the key service could not be reached or answered "busy" (throttling, 5xx, timeouts,
 *   connection refused). Nothing is wrong with the configuration; keep the plaintext and retry later.
 * - `false`: the request was refused for a reason that will not go away by waiting (access denied,
 *   key disabled or missing, wrong key, altered ciphertext, bad credentials). Alert a human.
 */
export class KeyProviderError extends UserError {
  constructor(
    message: string,
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, 1, options);
    this.name = 'KeyProviderError';
  }
}

/** Whether an error says "try again later" (a KeyProviderError marked transient). */
export function isTransientKeyError(err: unknown): boolean {
  return err instanceof KeyProviderError && err.transient;
}
