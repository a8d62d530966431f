/** The real `age` and `age-keygen` (Debian's `age` package): identities made and files opened by them. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface AgeKeygenIdentity {
  /** The identity file, mode 0600 as age-keygen writes it. */
  path: string;
  /** Its recipient, printed by `age-keygen -y`. */
  recipient: string;
}

export function ageKeygen(dir: string, name: string): AgeKeygenIdentity {
  const path = join(dir, name);
  execFileSync('age-keygen', ['-o', path], { stdio: ['ignore', 'ignore', 'ignore'] });
  return { path, recipient: execFileSync('age-keygen', ['-y', path]).toString().trim() };
}

/** `age -d -i IDENTITY FILE`: the plaintext bytes (throws when age fails). */
export function ageDecrypt(identityPath: string, file: string): Buffer {
  return execFileSync('age', ['-d', '-i', identityPath, file], { stdio: ['ignore', 'pipe', 'pipe'] });
}
