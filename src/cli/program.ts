import { Command } from 'commander';

import { VERSION } from '../version.js';

export { VERSION };

/**
 * Every subcommand, in the order `--help` lists them, each loaded on demand: a subcommand's module
 * brings its dependencies (the AWS SDK, prom-client, …), and a one-shot `encrypt` should
 * not pay for loading `watch` (measured: ~50 MiB of RSS and ~0.2 CPU-seconds per process).
 */
const SUBCOMMANDS: Record<string, () => Promise<Command>> = {
  watch: async () => (await import('./watch.js')).watchCommand(),
  restore: async () => (await import('./restore.js')).restoreCommand(),
  verify: async () => (await import('./verify.js')).verifyCommand(),
  list: async () => (await import('./list.js')).listCommand(),
  rewrap: async () => (await import('./rewrap.js')).rewrapCommand(),
  keygen: async () => (await import('./keygen.js')).keygenCommand(),
  encrypt: async () => (await import('./encrypt.js')).encryptCommand(),
  decrypt: async () => (await import('./decrypt.js')).decryptCommand(),
  doctor: async () => (await import('./doctor.js')).doctorCommand(),
  audit: async () => (await import('./audit.js')).auditCommand(),
  config: async () => (await import('./config.js')).configCommand(),
  'extract-key': async () => (await import('./extract-key.js')).extractKeyCommand(),
};

/**
 * The program with every subcommand; given the command line, with only the subcommand it names when
 * it names one (the root takes no options of its own but --help and --version, so the first word not
 * starting with "-" is the subcommand). Anything else (help, a mistyped name) gets them all.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('snapshot-guard')
    .description(
      'Seals Dragonfly/Redis snapshots the moment they are written: encrypts (AES-256-GCM, envelope keys from a ' +
        'local key file, AWS KMS or Vault Transit), verifies, shreds the plaintext; restores them on demand.',
    )
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(false) // errors stay one line
    .configureHelp({ sortSubcommands: false })
    .exitOverride();
  const named = argv?.slice(2).find((a) => !a.startsWith('-'));
  const wanted =
    named !== undefined && Object.hasOwn(SUBCOMMANDS, named) ? [named] : Object.keys(SUBCOMMANDS);
  if (argv && named === undefined && argv.slice(2).some((a) => a === '-V' || a === '--version'))
    wanted.length = 0;
  const subs = await Promise.all(wanted.map((name) => SUBCOMMANDS[name]!()));
  for (const sub of subs) program.addCommand(sub.exitOverride());
  return program;
}
