/**
 * The `age` provider's settings and how they become providers. Recipients (public) seal; every
 * subcommand reads them, so that one environment file serves all, and an opening command on a
 * write-only host can say why it cannot open. Identities (secret) open: `watch` and `encrypt` do not
 * read them (src/config), so a decrypting identity cannot end up in the daemon by accident.
 */
import type { KeyProvider, ProviderFactory } from '../provider.js';
import { ageConfigError } from './errors.js';
import { loadIdentityFile, type AgeIdentity } from './identities.js';
import { AgeKeyProvider } from './provider.js';
import { loadRecipientsFile, parseRecipient } from './recipients.js';

export interface AgeKeySettings {
  /** age1… recipients (age-recipient, repeatable). */
  ageRecipient: string[];
  /** Files of recipients, one per line (age-recipients-file, repeatable). */
  ageRecipientsFile: string[];
  /** Identity files (age-identity, repeatable); absent for subcommands that never open sets. */
  ageIdentity?: string[];
}

async function recipientsOf(settings: AgeKeySettings): Promise<string[]> {
  const out = settings.ageRecipient.map((r) => parseRecipient(r, '--age-recipient'));
  for (const path of settings.ageRecipientsFile) out.push(...(await loadRecipientsFile(path)));
  return out;
}

async function identitiesOf(settings: AgeKeySettings): Promise<AgeIdentity[]> {
  const out: AgeIdentity[] = [];
  for (const path of settings.ageIdentity ?? []) out.push(...(await loadIdentityFile(path)));
  return out;
}

/**
 * rewrap: the recipients given by age-recipient / age-recipients-file, to add a copy for (the same as
 * --to-key age:…), or nothing when there are none.
 */
export async function ageRecipientsTarget(settings: AgeKeySettings): Promise<KeyProvider[]> {
  const recipients = await recipientsOf(settings);
  return recipients.length > 0 ? [new AgeKeyProvider(recipients, [])] : [];
}

export const ageFactory: ProviderFactory<AgeKeySettings> = {
  specPrefix: 'age',
  /** One provider for all recipients and identities given (one age copy per set), or none. */
  async fromSettings(settings) {
    const recipients = await recipientsOf(settings);
    const identities = await identitiesOf(settings);
    if (recipients.length === 0 && identities.length === 0) return [];
    return [new AgeKeyProvider(recipients, identities)];
  },
  /** A key spec "age:age1…[,age1…]" or "age:@PATH" (a recipients file), e.g. for rewrap --to-key. */
  async fromSpec(value) {
    const recipients = value.startsWith('@')
      ? await loadRecipientsFile(value.slice(1))
      : value
          .split(',')
          .filter((s) => s.trim() !== '')
          .map((r) => parseRecipient(r, `key spec age:${value}`));
    if (recipients.length === 0)
      throw ageConfigError('key spec "age:" needs recipients: age:age1…[,age1…] or age:@FILE');
    return new AgeKeyProvider(recipients, []);
  },
};
