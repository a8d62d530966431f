/**
 * Merges the sources of one subcommand's settings, strongest first: flags, environment, config file,
 * defaults. Returns the typed settings and, for --print-config, where each value came from.
 */
import { UserError, errorMessage } from '../errors.js';
import type { ConfigFile } from './file.js';
import { absentValue, parserOf, type CommandName, type RawValue, type Setting } from './setting.js';
import {
  COMMAND_SETTINGS,
  SETTINGS,
  camelCase,
  isRequired,
  type CommandSettings,
  type SettingKey,
} from './settings.js';

export type Source =
  | { from: 'flag' }
  | { from: 'env'; name: string }
  | { from: 'file'; path: string }
  | { from: 'default' }
  | { from: 'unset' };

export interface Origin {
  source: Source;
  /** The text as written (flag argument, variable, file value), or the default's description. */
  raw?: RawValue | undefined;
}

export interface SettingSources {
  /** Raw values of the flags given on the command line, by setting key. */
  flags: Partial<Record<SettingKey, RawValue>>;
  env: NodeJS.ProcessEnv;
  file?: ConfigFile | undefined;
  /** Leave a missing required setting unset instead of failing (for --print-config). */
  allowMissing?: boolean;
}

export interface Resolved<C extends CommandName> {
  settings: CommandSettings<C>;
  origins: Map<SettingKey, Origin>;
}

function parsed(setting: Setting<unknown>, key: SettingKey, raw: RawValue): unknown {
  try {
    return parserOf(setting, `--${key}`)(raw);
  } catch (err) {
    throw new UserError(errorMessage(err), 2);
  }
}

function missing(command: CommandName, key: SettingKey, setting: Setting<unknown>): UserError {
  const arg = setting.shape === 'switch' ? '' : ` <${setting.arg ?? 'value'}>`;
  const env = setting.env && setting.only !== 'flag' ? `, set ${setting.env}` : '';
  const file = setting.only === 'flag' ? '' : `, or put "${key}:" in the --config file`;
  return new UserError(
    `required option --${key} not specified: pass --${key}${arg}${env}${file}; see \`snapshot-guard ${command} --help\``,
    2,
  );
}

export function resolveSettings<C extends CommandName>(command: C, sources: SettingSources): Resolved<C> {
  const settings: Record<string, unknown> = {};
  const origins = new Map<SettingKey, Origin>();
  for (const key of COMMAND_SETTINGS[command] as readonly SettingKey[]) {
    const setting: Setting<unknown> = SETTINGS[key];
    const flag = setting.only === 'env' ? undefined : sources.flags[key];
    const envName = setting.only === 'flag' ? undefined : setting.env;
    const envValue = envName === undefined ? undefined : sources.env[envName];
    const fromFile = sources.file?.values.get(key);
    let value: unknown;
    let origin: Origin;
    if (flag !== undefined) {
      value = parsed(setting, key, flag);
      origin = { source: { from: 'flag' }, raw: flag };
    } else if (envName !== undefined && envValue !== undefined) {
      value = parsed(setting, key, envValue);
      origin = { source: { from: 'env', name: envName }, raw: envValue };
    } else if (fromFile && sources.file) {
      value = fromFile.value;
      origin = { source: { from: 'file', path: sources.file.path }, raw: fromFile.raw };
    } else if (setting.shape === 'one' && setting.default) {
      value = setting.default.value;
      origin = { source: { from: 'default' }, raw: setting.default.text };
    } else if (isRequired(command, key) && !sources.allowMissing) {
      throw missing(command, key, setting);
    } else if (setting.shape === 'switch') {
      value = false;
      origin = { source: { from: 'default' }, raw: 'false' };
    } else {
      value = absentValue(setting);
      origin = { source: { from: 'unset' } };
    }
    settings[camelCase(key)] = value;
    origins.set(key, origin);
  }
  return { settings: settings as CommandSettings<C>, origins };
}
