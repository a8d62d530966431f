import { Command } from 'commander';
import { generateKeyFile } from '../keys/local/provider.js';

export function keygenCommand(): Command {
  return new Command('keygen')
    .description('create a new local 256-bit key file (mode 0600; never overwrites)')
    .requiredOption('--out <path>', 'where to write the key file')
    .action(async (opts: { out: string }) => {
      const fingerprint = await generateKeyFile(opts.out);
      process.stderr.write(
        `wrote key ${fingerprint} to ${opts.out} (mode 0600). Back it up somewhere safe: without it no snapshot sealed with it can be restored.\n`,
      );
    });
}
