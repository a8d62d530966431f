/** Runs a subcommand's real flag handling (commander + src/config) in-process and returns its typed settings. */
import type { CommandName } from '../../src/config/setting.js';
import type { CommandSettings } from '../../src/config/settings.js';
import { commandWithSettings, onSettings } from '../../src/cli/options.js';

/** Parses `argv` (flags of `command`) with exactly `env` as the environment. */
export async function settingsFromArgs<C extends CommandName>(
  command: C,
  argv: string[],
  env: Record<string, string> = {},
): Promise<CommandSettings<C>> {
  const saved = process.env;
  process.env = { PATH: saved.PATH ?? '', ...env };
  try {
    let out: CommandSettings<C> | undefined;
    const cmd = commandWithSettings(command, 'test').exitOverride();
    if (command === 'encrypt' || command === 'decrypt') cmd.argument('[in]');
    onSettings(cmd, command, (s) => {
      out = s;
      return Promise.resolve();
    });
    await cmd.parseAsync(argv, { from: 'user' });
    if (!out) throw new Error('the action did not run');
    return out;
  } finally {
    process.env = saved;
  }
}
