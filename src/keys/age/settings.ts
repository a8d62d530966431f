/**
 * The `age` provider's settings and how they become providers. Recipients (public) seal; every
 * subcommand reads them, so that one environment file serves all, and an opening command on a
 * write-only host can say why it cannot open. Identities (secret) open: `watch` and `encrypt` do not
 * read them (src/config), so a decrypting identity cannot end up in the daemon by accident.
 */
import type { KeyProvider, ProviderFactory } from '../provider.js';
import { ageConfigError } from './errors.js';
import type { AgeIdentity } from './identities.js';

// age-encryption (and its post-quantum code) is loaded only when an age key is configured: it costs
// ~20 MiB and ~0.1 CPU-seconds at start-up, which every one-shot command would otherwise pay.
const loadRecipients = () => import('./recipients.js');
const loadIdentities = () => import('./identities.js');
const loadProvider = () => import('./provider.js');

export interface AgeKeySettings {
  /** age1… recipients (age-recipient, repeatable). */
  ageRecipient: string[];
  /** Files of recipients, one per line (age-recipients-file, repeatable). */
  ageRecipientsFile: string[];
  /** Identity files (age-identity, repeatable); absent for subcommands that never open sets. */
  ageIdentity?: string[];
}

async function recipientsOf(settings: AgeKeySettings): Promise<string[]> {
  if (settings.ageRecipient.length === 0 && settings.ageRecipientsFile.length === 0) return [];
  const { loadRecipientsFile, parseRecipient } = await loadRecipients();
  const out = settings.ageRecipient.map((r) => parseRecipient(r, '--age-recipient'));
  for (const path of settings.ageRecipientsFile) out.push(...(await loadRecipientsFile(path)));
  return out;
}

async function identitiesOf(settings: AgeKeySettings): Promise<AgeIdentity[]> {
  const out: AgeIdentity[] = [];
  if ((settings.ageIdentity ?? []).length === 0) return out;
  const { loadIdentityFile } = await loadIdentities();
  for (const path of settings.ageIdentity ?? []) out.push(...(await loadIdentityFile(path)));
  return out;
}

/**
 * rewrap: the recipients given by age-recipient / age-recipients-file, to add a copy for (the same as
 * --to-key age:…), or nothing when there are none.
 */
export async function ageRecipientsTarget(settings: AgeKeySettings): Promise<KeyProvider[]> {
  const recipients = await recipientsOf(settings);
  if (recipients.length === 0) return [];
  const { AgeKeyProvider } = await loadProvider();
  return [new AgeKeyProvider(recipients, [])];
}

export const ageFactory: ProviderFactory<AgeKeySettings> = {
  specPrefix: 'age',
  /** One provider for all recipients and identities given (one age copy per set), or none. */
  async fromSettings(settings) {
    const recipients = await recipientsOf(settings);
    const identities = await identitiesOf(settings);
    if (recipients.length === 0 && identities.length === 0) return [];
    const { AgeKeyProvider } = await loadProvider();
    return [new AgeKeyProvider(recipients, identities)];
  },
  /** A key spec "age:age1…[,age1…]" or "age:@PATH" (a recipients file), e.g. for rewrap --to-key. */
  async fromSpec(value) {
    const { loadRecipientsFile, parseRecipient } = await loadRecipients();
    const recipients = value.startsWith('@')
      ? await loadRecipientsFile(value.slice(1))
      : value
          .split(',')
          .filter((s) => s.trim() !== '')
          .map((r) => parseRecipient(r, `key spec age:${value}`));
    if (recipients.length === 0)
      throw ageConfigError('key spec "age:" needs recipients: age:age1…[,age1…] or age:@FILE');
    const { AgeKeyProvider } = await loadProvider();
    return new AgeKeyProvider(recipients, []);
  },
};
