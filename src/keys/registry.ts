/**
 * The registered key providers and what every subcommand does with their settings: build the
 * keyring, or build providers from key specs (rewrap --to-key). The flags and the config file that
 * fill these settings are defined outside keys/ (src/config), so providers know nothing of them.
 */
import { UserError } from '../errors.js';
import { Keyring } from './keyring.js';
import { kmsFactory, type KmsKeySettings } from './kms/settings.js';
import { localFactory, type LocalKeySettings } from './local/settings.js';
import type { KeyProvider, ProviderFactory } from './provider.js';
import { vaultFactory, type VaultKeySettings } from './vault/settings.js';
import { ageFactory, type AgeKeySettings } from './age/settings.js';

/** The settings of every provider (a subcommand that uses keys has all of them). */
export type KeySettings = LocalKeySettings & KmsKeySettings & VaultKeySettings & AgeKeySettings;

/** Registered providers, in the order their wrapped copies appear in headers. */
export const providerFactories: readonly ProviderFactory<KeySettings>[] = [
  localFactory,
  kmsFactory,
  vaultFactory,
  ageFactory,
];

export async function keyringFromSettings(settings: KeySettings): Promise<Keyring> {
  const providers: KeyProvider[] = [];
  for (const f of providerFactories) providers.push(...(await f.fromSettings(settings)));
  if (providers.length === 0) {
    throw new UserError(
      'no key configured: pass --key-file PATH (create one with `snapshot-guard keygen --out PATH`), --kms-key-id, --vault-key or --age-recipient/--age-identity',
    );
  }
  refuseDuplicates(providers);
  return new Keyring(providers);
}

/** The same key twice would put two wrapped copies with one key id into every header, which no reader accepts. */
function refuseDuplicates(providers: KeyProvider[]): void {
  const seen = new Set<string>();
  for (const p of providers) {
    const id = `${p.type}:${p.keyId}`;
    if (seen.has(id))
      throw new UserError(`the same key is configured twice: ${p.description}; pass each key once`, 2);
    seen.add(id);
  }
}

/** Whether `s` looks like a key spec ("file:…", "kms:…", "vault:…") rather than a key id. */
export function isKeySpec(s: string): boolean {
  if (s.startsWith('age:x25519-')) return false; // an age copy's key id, as `list` shows it
  const i = s.indexOf(':');
  return i > 0 && providerFactories.some((f) => f.specPrefix === s.slice(0, i));
}

/** Builds providers from specs like "file:/path", "kms:alias/x", "vault:name". */
export async function providersFromSpecs(specs: string[], settings: KeySettings): Promise<KeyProvider[]> {
  const out: KeyProvider[] = [];
  for (const spec of specs) {
    const i = spec.indexOf(':');
    const prefix = i > 0 ? spec.slice(0, i) : '';
    const factory = providerFactories.find((f) => f.specPrefix === prefix);
    if (!factory) {
      const known = providerFactories.map((f) => `${f.specPrefix}:…`).join(', ');
      throw new UserError(`key spec "${spec}" is not understood; use one of ${known}`, 2);
    }
    out.push(await factory.fromSpec(spec.slice(i + 1), settings));
  }
  return out;
}
