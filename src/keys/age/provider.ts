/**
 * The `age` provider: the data key is wrapped as a standard age file (X25519 recipients) whose
 * plaintext is exactly the 32-byte data key, so `age -d -i IDENTITY` opens it with no snapshot-guard at
 * all (docs/FORMAT.md, "The age provider"). Recipients are public: a host holding only recipients can
 * seal sets but never open one; opening needs an identity (`AGE-SECRET-KEY-1…`).
 */
import { randomBytes } from 'node:crypto';
import { Decrypter, Encrypter } from 'age-encryption';
import { KeyProviderError } from '../errors.js';
import type { GeneratedDataKey, KeyProvider, WrappedKey } from '../provider.js';
import { AgeNoIdentityError, ageConfigError } from './errors.js';
import type { AgeIdentity } from './identities.js';
import { normalizeRecipients, recipientSetKeyId } from './recipients.js';

export const AGE_PROVIDER = 'age';
/** An age file for 40 X25519 recipients stays well below the format's 8 KiB limit per wrapped copy. */
export const MAX_AGE_RECIPIENTS = 40;
const DATA_KEY_LENGTH = 32;

export class AgeKeyProvider implements KeyProvider {
  readonly type = AGE_PROVIDER;
  readonly keyId: string;
  readonly description: string;
  readonly recipients: string[];

  constructor(
    recipients: string[],
    private readonly identities: AgeIdentity[],
  ) {
    this.recipients = normalizeRecipients(recipients);
    if (this.recipients.length > MAX_AGE_RECIPIENTS) {
      throw ageConfigError(
        `at most ${MAX_AGE_RECIPIENTS} age recipients per set (got ${this.recipients.length}); use fewer, e.g. one per team`,
      );
    }
    const named = this.recipients.length > 0 ? this.recipients : identities.map((i) => i.recipient);
    this.keyId = recipientSetKeyId(named);
    const parts: string[] = [];
    if (this.recipients.length > 0) parts.push(`${this.recipients.length} recipient(s)`);
    if (identities.length > 0) parts.push(`${identities.length} identity(ies)`);
    this.description = `age ${this.keyId} (${parts.join(', ')})`;
  }

  /** True when this provider can seal but never open (recipients only, no identity). */
  get writeOnly(): boolean {
    return this.identities.length === 0;
  }

  async generateDataKey(): Promise<GeneratedDataKey> {
    const plaintext = randomBytes(DATA_KEY_LENGTH);
    try {
      return { plaintext, wrapped: await this.wrap(plaintext) };
    } catch (err) {
      plaintext.fill(0);
      throw err;
    }
  }

  /** blob = a binary (not armored) age file for every recipient; its plaintext is the data key. */
  async wrap(plaintext: Buffer): Promise<WrappedKey> {
    if (this.recipients.length === 0) {
      throw ageConfigError(
        'age: no recipient to seal for; pass --age-recipient age1… or --age-recipients-file PATH (an identity alone only opens sets)',
      );
    }
    const e = new Encrypter();
    for (const r of this.recipients) e.addRecipient(r);
    const blob = Buffer.from(await e.encrypt(new Uint8Array(plaintext)));
    return { provider: this.type, keyId: this.keyId, blob };
  }

  /**
   * An identity may be one recipient among several of any age copy, which the copy does not reveal: with
   * identities every age copy is worth a try. Without, only the copy of this very recipient set (so that
   * rewrap sees it is already there).
   */
  canUnwrap(wrapped: WrappedKey): boolean {
    return wrapped.provider === this.type && (this.identities.length > 0 || wrapped.keyId === this.keyId);
  }

  async unwrap(wrapped: WrappedKey): Promise<Buffer> {
    if (this.identities.length === 0) throw new AgeNoIdentityError(this.keyId);
    const d = new Decrypter();
    for (const i of this.identities) d.addIdentity(i.secret);
    let out: Uint8Array;
    try {
      out = await d.decrypt(new Uint8Array(wrapped.blob));
    } catch {
      throw new KeyProviderError(
        `age ${wrapped.keyId}: none of the given identities (${this.identities.map((i) => i.recipient.slice(0, 12) + '…').join(', ')}) is a recipient of this set's age copy`,
        false,
      );
    }
    const key = Buffer.from(out);
    out.fill(0);
    if (key.length !== DATA_KEY_LENGTH) {
      key.fill(0);
      throw new KeyProviderError(
        `age ${wrapped.keyId}: the age copy does not hold a 32-byte data key`,
        false,
      );
    }
    return key;
  }
}
