import { Command } from 'commander';
import { createRequire } from 'node:module';
import { keygenCommand } from './keygen.js';
import { encryptCommand } from './encrypt.js';
import { decryptCommand } from './decrypt.js';
import { watchCommand } from './watch.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

export const VERSION = pkg.version;

export function buildProgram(): Command {
  const program = new Command('snapshot-guard')
    .description(
      'Seals Dragonfly/Redis snapshots the moment they are written: encrypts (AES-256-GCM, envelope keys from a ' +
        'local key file, AWS KMS or Vault Transit), verifies, shreds the plaintext; restores them on demand.',
    )
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false })
    .exitOverride();
  for (const sub of [watchCommand(), keygenCommand(), encryptCommand(), decryptCommand()]) {
    program.addCommand(sub.exitOverride());
  }
  return program;
}
