/**
 * Which keys the long-running daemon may use to open sets. Sealing never needs one (the data key is made
 * in memory and verified with), so `watch` opens sets only with local key files — key material already on
 * the host — and never asks a remote service (KMS Decrypt, Vault transit/decrypt) or an age identity to
 * unwrap. With KMS, Vault or age recipients alone the daemon is write-only: its role can be denied every
 * decrypting operation, and recovery and scheduled checks work without opening old sets.
 */
import { Keyring } from '../keys/keyring.js';

/** The keys `watch` may open sets with, or undefined on a write-only host. */
export function daemonOpener(keyring: Keyring): Keyring | undefined {
  const local = keyring.providers.filter((p) => p.type === 'local');
  return local.length > 0 ? new Keyring(local) : undefined;
}
