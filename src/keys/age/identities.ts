/** age identity files as age-keygen writes them: `AGE-SECRET-KEY-1…` lines, `#` comments. */
import { readFile, stat } from 'node:fs/promises';
import { identityToRecipient } from 'age-encryption';
import { errnoCode } from '../../errors.js';
import { ageConfigError } from './errors.js';

export interface AgeIdentity {
  /** The secret `AGE-SECRET-KEY-1…` string; never logged. */
  secret: string;
  /** Its public recipient `age1…`. */
  recipient: string;
}

const ENCRYPTED_BINARY = 'age-encryption.org/';
const ENCRYPTED_ARMOR = '-----BEGIN AGE ENCRYPTED FILE-----';

/**
 * Loads every identity of a file (age-keygen output, or several concatenated). Refuses files that group
 * or others can read, and passphrase-encrypted identity files: the daemon and restore-on-boot have no
 * terminal to ask for a passphrase.
 */
export async function loadIdentityFile(path: string): Promise<AgeIdentity[]> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = errnoCode(err);
    throw ageConfigError(
      code === 'ENOENT'
        ? `age identity file ${path} does not exist; create one with: age-keygen -o ${path}`
        : `cannot read age identity file ${path}: ${code ?? String(err)}`,
    );
  }
  if (!st.isFile()) throw ageConfigError(`age identity file ${path} is not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw ageConfigError(
      `age identity file ${path} is accessible by group or others (mode ${mode}); fix with: chmod 600 ${path}`,
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw ageConfigError(`cannot read age identity file ${path}: ${errnoCode(err) ?? String(err)}`);
  }
  if (text.startsWith(ENCRYPTED_BINARY) || text.trimStart().startsWith(ENCRYPTED_ARMOR)) {
    throw ageConfigError(
      `age identity file ${path} is passphrase-encrypted, which needs a terminal; decrypt it once into a 0600 file (age -d -o PLAIN ${path}) and pass that, or keep it encrypted and use it only for a restore by hand`,
    );
  }
  const out: AgeIdentity[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const t = (lines[i] ?? '').trim();
    if (t === '' || t.startsWith('#')) continue;
    if (!t.startsWith('AGE-SECRET-KEY-1')) {
      throw ageConfigError(
        `age identity file ${path} line ${i + 1} is not an X25519 identity (AGE-SECRET-KEY-1…, as written by age-keygen)`,
      );
    }
    let recipient: string;
    try {
      recipient = await identityToRecipient(t);
    } catch {
      throw ageConfigError(`age identity file ${path} line ${i + 1} is a damaged identity (bad checksum)`);
    }
    out.push({ secret: t, recipient });
  }
  if (out.length === 0) throw ageConfigError(`age identity file ${path} holds no identity`);
  return out;
}
