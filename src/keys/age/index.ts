/** The `age` key provider: X25519 recipients seal, identities open. */
export { AgeKeyProvider, AGE_PROVIDER } from './provider.js';
export { AgeNoIdentityError } from './errors.js';
export { ageFactory, ageRecipientsTarget, type AgeKeySettings } from './settings.js';
export { loadIdentityFile } from './identities.js';
export { loadRecipientsFile, parseRecipient, recipientSetKeyId } from './recipients.js';
