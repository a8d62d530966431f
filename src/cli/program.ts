import { Command } from 'commander';
import { keygenCommand } from './keygen.js';
import { encryptCommand } from './encrypt.js';
import { decryptCommand } from './decrypt.js';
import { watchCommand } from './watch.js';
import { doctorCommand } from './doctor.js';
import { restoreCommand } from './restore.js';
import { verifyCommand } from './verify.js';
import { listCommand } from './list.js';
import { rewrapCommand } from './rewrap.js';
import { auditCommand } from './audit.js';
import { configCommand } from './config.js';
import { extractKeyCommand } from './extract-key.js';

import { VERSION } from '../version.js';

export { VERSION };

export function buildProgram(): Command {
  const program = new Command('snapshot-guard')
    .description(
      'Seals Dragonfly/Redis snapshots the moment they are written: encrypts (AES-256-GCM, envelope keys from a ' +
        'local key file, AWS KMS or Vault Transit), verifies, shreds the plaintext; restores them on demand.',
    )
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(false) // errors stay one line
    .configureHelp({ sortSubcommands: false })
    .exitOverride();
  for (const sub of [
    watchCommand(),
    restoreCommand(),
    verifyCommand(),
    listCommand(),
    rewrapCommand(),
    keygenCommand(),
    encryptCommand(),
    decryptCommand(),
    doctorCommand(),
    auditCommand(),
    configCommand(),
    extractKeyCommand(),
  ]) {
    program.addCommand(sub.exitOverride());
  }
  return program;
}
