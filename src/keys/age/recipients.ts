/** age recipients (`age1…`): parsing flags and recipients files, and the fingerprint of a recipient set. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Encrypter } from 'age-encryption';
import { errnoCode } from '../../errors.js';
import { ageConfigError } from './errors.js';

/**
 * X25519 recipients only: what Debian's `age` (1.1) and every other age implementation can open. The
 * post-quantum and tag recipient types of newer age versions are refused, so that the break-glass path
 * (`age -d`) works with the packaged tool.
 */
const X25519_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

export function parseRecipient(value: string, where: string): string {
  const r = value.trim();
  if (!X25519_RECIPIENT.test(r)) {
    const shown = r.length > 20 ? `${r.slice(0, 20)}…` : r;
    const hint = r.startsWith('AGE-SECRET-KEY-')
      ? ' (that is an identity, a secret: give its public recipient, printed by `age-keygen -y FILE`)'
      : ' (an X25519 recipient "age1…" of 62 characters, as printed by age-keygen)';
    throw ageConfigError(`${where}: "${shown}" is not an age recipient${hint}`);
  }
  try {
    new Encrypter().addRecipient(r); // checks the bech32 checksum
  } catch {
    throw ageConfigError(`${where}: "${r}" is not a valid age recipient (bad checksum; copy it again)`);
  }
  return r;
}

/** A recipients file as `age -R` reads it: one recipient per line, blank lines and `#` comments ignored. */
export async function loadRecipientsFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    throw ageConfigError(
      code === 'ENOENT'
        ? `age recipients file ${path} does not exist (one age1… recipient per line; \`age-keygen -y IDENTITY\` prints one)`
        : `cannot read age recipients file ${path}: ${code ?? String(err)}`,
    );
  }
  const out: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    out.push(parseRecipient(t, `${path} line ${i + 1}`));
  });
  if (out.length === 0) throw ageConfigError(`age recipients file ${path} holds no recipient`);
  return out;
}

/** Sorted, without duplicates: the same set of recipients always gives the same key id. */
export function normalizeRecipients(recipients: string[]): string[] {
  return [...new Set(recipients)].sort();
}

/**
 * The key id stored beside an age copy: "x25519-" + the first 8 bytes (hex) of SHA-256 over the sorted,
 * distinct recipients, each followed by "\n". Public: computed from recipients only.
 */
export function recipientSetKeyId(recipients: string[]): string {
  const h = createHash('sha256');
  for (const r of normalizeRecipients(recipients)) h.update(`${r}\n`);
  return `x25519-${h.digest().subarray(0, 8).toString('hex')}`;
}
