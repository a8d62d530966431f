/**
 * `snapshot-guard config check FILE`: validates a config file without starting anything. A config
 * file may be shared by several subcommands (watch, restore on boot, verify, doctor), so every key
 * that some subcommand reads is accepted; `--for watch` accepts only the keys `watch` reads.
 */
import { Command, Option } from 'commander';
import { loadConfigFile } from '../config/file.js';
import { COMMAND_NAMES, type CommandName } from '../config/setting.js';

export function configCommand(): Command {
  const check = new Command('check')
    .description('validate a config file (YAML, keys are the long flag names) without starting anything')
    .argument('<file>', 'the config file')
    .addOption(
      new Option('--for <subcommand>', 'accept only the settings this subcommand reads').choices([
        ...COMMAND_NAMES,
      ]),
    )
    .action(async (file: string, opts: { for?: CommandName }) => {
      const config = await loadConfigFile(file, opts.for);
      for (const w of config.warnings) process.stderr.write(`snapshot-guard: warning: ${w}\n`);
      const keys = [...config.values.keys()];
      process.stdout.write(
        `${file}: ok, ${keys.length} setting(s)${keys.length ? `: ${keys.join(', ')}` : ''}${opts.for ? ` (for ${opts.for})` : ''}\n`,
      );
    });
  return new Command('config').description('work with config files').addCommand(check.exitOverride());
}
