/**
 * Commander for the settings of src/config: each subcommand's flags are made from the settings it
 * reads, plus --config FILE and --print-config. Commander only collects what was typed; values are
 * checked and merged with the environment, the config file and the defaults by src/config.
 */
import { Command, Option } from 'commander';
import { resolveSettings } from '../config/resolve.js';
import { examplesFor, helpGroupOf } from './help.js';
import type { CommandName, RawValue, Setting } from '../config/setting.js';
import {
  COMMAND_SETTINGS,
  DEFAULT_HELP_FOR,
  SETTINGS,
  camelCase,
  isRequired,
  type CommandSettings,
  type SettingKey,
} from '../config/settings.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function keysOf(name: CommandName): readonly SettingKey[] {
  return COMMAND_SETTINGS[name];
}

function helpText(name: CommandName, key: SettingKey, s: Setting<unknown>): string {
  const extras: string[] = [];
  if (s.shape === 'one' && s.kind.choices) extras.push(`choices: ${s.kind.choices.join(', ')}`);
  if (s.shape === 'one' && s.default) {
    extras.push(`default: ${DEFAULT_HELP_FOR[name]?.[key] ?? s.defaultHelp ?? s.default.text}`);
  }
  if (s.env) extras.push(`env: ${s.env}`);
  const help = s.helpFor?.[name] ?? s.help;
  return extras.length > 0 ? `${help} (${extras.join(', ')})` : help;
}

function optionFor(key: SettingKey, flag: string, s: Setting<unknown>, help: string): Option {
  const short = s.short && flag === key ? `${s.short}, ` : '';
  if (s.shape === 'switch') return new Option(`${short}--${flag}`, help);
  const option = new Option(`${short}--${flag} <${s.arg ?? 'value'}>`, help);
  return s.shape === 'list' ? option.argParser(collect) : option;
}

/** A subcommand with the flags of its settings, --config and --print-config. */
export function commandWithSettings(name: CommandName, description: string): Command {
  const cmd = new Command(name).description(description);
  for (const key of keysOf(name)) {
    const s: Setting<unknown> = SETTINGS[key];
    if (s.only === 'env') continue;
    const required = isRequired(name, key) ? '(required) ' : '';
    const option = optionFor(key, key, s, `${required}${helpText(name, key, s)}`);
    const group = helpGroupOf(key);
    if (group) option.helpGroup(group);
    cmd.addOption(option);
    for (const alias of s.deprecatedAliases ?? []) {
      cmd.addOption(optionFor(key, alias, s, `deprecated spelling of --${key}`).hideHelp());
    }
  }
  cmd.addOption(
    new Option(
      '--config <file>',
      'read settings from this YAML file: keys are the long flag names; flags and environment variables override it',
    ),
  );
  cmd.addOption(
    new Option(
      '--print-config',
      'print the effective settings and where each comes from (secrets redacted), then exit',
    ),
  );
  const examples = examplesFor(name);
  if (examples) cmd.addHelpText('after', examples);
  return cmd;
}

/** The raw values of the flags typed on the command line, with deprecated spellings mapped (and warned about). */
function typedFlags(name: CommandName, cmd: Command): Partial<Record<SettingKey, RawValue>> {
  const opts = cmd.opts();
  const flags: Partial<Record<SettingKey, RawValue>> = {};
  for (const key of keysOf(name)) {
    const s: Setting<unknown> = SETTINGS[key];
    const id = camelCase(key);
    if (cmd.getOptionValueSource(id) === 'cli') flags[key] = opts[id] as RawValue;
    for (const alias of s.deprecatedAliases ?? []) {
      const aliasId = camelCase(alias);
      if (cmd.getOptionValueSource(aliasId) !== 'cli') continue;
      process.stderr.write(`snapshot-guard: warning: --${alias} is deprecated; use --${key}\n`);
      flags[key] ??= opts[aliasId] as RawValue;
    }
  }
  return flags;
}

/**
 * Sets the action of a subcommand made by commandWithSettings: it receives the typed settings (flags >
 * environment > config file > defaults) and the positional arguments. --print-config prints instead.
 */
export function onSettings<C extends CommandName>(
  cmd: Command,
  name: C,
  body: (settings: CommandSettings<C>, args: string[]) => Promise<void>,
): Command {
  return cmd.action(async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const args = received.slice(0, -2) as string[];
    const meta = command.opts<{ config?: string; printConfig?: boolean }>();
    const flags = typedFlags(name, command);
    // The YAML parser is loaded only for a config file or --print-config (~14 MiB of start-up otherwise).
    const file =
      meta.config === undefined
        ? undefined
        : await (await import('../config/file.js')).loadConfigFile(meta.config);
    for (const w of file?.warnings ?? []) process.stderr.write(`snapshot-guard: warning: ${w}\n`);
    const printing = meta.printConfig === true;
    const { settings, origins } = resolveSettings(name, {
      flags,
      env: process.env,
      file,
      allowMissing: printing,
    });
    if (printing) {
      const { renderSettings } = await import('../config/print.js');
      process.stdout.write(renderSettings(name, origins, file?.path));
      return;
    }
    await body(settings, args);
  });
}
