/** What one setting is: its value kind, where it may come from, its default, and how it is shown. */
import { UserError } from '../errors.js';
import type { ValueKind } from './values.js';

export const COMMAND_NAMES = [
  'watch',
  'restore',
  'verify',
  'list',
  'rewrap',
  'encrypt',
  'decrypt',
  'doctor',
  'audit',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface SettingInfo {
  help: string;
  /** Help text for subcommands where the setting means something more specific. */
  helpFor?: Partial<Record<CommandName, string>>;
  /** The flag's argument name: "dir" gives `--dir <dir>`. */
  arg?: string;
  /** One-letter flag, e.g. "-o". */
  short?: string;
  /** Environment variable that can set it (flags override it; it overrides the config file). */
  env?: string;
  /**
   * "flag": only on the command line, because it says what to do this time (--set, --force, --once).
   * "env": only from the environment (a secret that belongs in no file and no process listing).
   */
  only?: 'flag' | 'env';
  /** Shown as [redacted] by --print-config. */
  secret?: boolean;
  /** How --help describes the default when it is not the default's text ("this host name"). */
  defaultHelp?: string;
  /** Old spellings still accepted, with a warning. */
  deprecatedAliases?: string[];
}

/** A raw value: the text of a flag, environment variable or file scalar; a list; or a bare switch. */
export type RawValue = string | string[] | true;

interface OneValue {
  shape: 'one';
  kind: ValueKind<unknown>;
  default?: { value: unknown; text: string };
}
interface ListValue {
  shape: 'list';
  kind: ValueKind<unknown>;
  /** The items in the plural, e.g. "paths". */
  items: string;
  /** Splits one text into several items (kms-key-id accepts comma-separated lists). */
  split?: (text: string) => string[];
}
interface SwitchValue {
  shape: 'switch';
}

/** `Out` is the type of the setting's value in a subcommand's typed settings. */
export type Setting<Out> = SettingInfo & (OneValue | ListValue | SwitchValue) & { readonly __out?: Out };

/** A value without default: `undefined` when no source gives one, unless the subcommand requires it. */
export function optional<T>(kind: ValueKind<T>, info: SettingInfo): Setting<T | undefined> {
  return { ...info, shape: 'one', kind };
}

export function withDefault<T>(
  kind: ValueKind<T>,
  value: NoInfer<T>,
  text: string,
  info: SettingInfo,
): Setting<T> {
  return { ...info, shape: 'one', kind, default: { value, text } };
}

/** Repeatable: a flag given several times, a YAML list in the file, one item from the environment. */
export function list<T>(
  kind: ValueKind<T>,
  info: SettingInfo & { items: string; split?: (text: string) => string[] },
): Setting<T[]> {
  return { ...info, shape: 'list', kind };
}

/** A flag without argument; `true`/`false` in the config file. */
export function toggle(info: SettingInfo): Setting<boolean> {
  return { ...info, shape: 'switch' };
}

/** The value a setting has when no source gives one and it has no default. */
export function absentValue(s: Setting<unknown>): unknown {
  return s.shape === 'list' ? [] : s.shape === 'switch' ? false : undefined;
}

/** What a valid value looks like (for "expected …" messages and the docs). */
export function expectedOf(s: Setting<unknown>): string {
  if (s.shape === 'switch') return 'true or false';
  if (s.shape === 'list') return `a list of ${s.items} (or one)`;
  return s.kind.expected;
}

/**
 * The parser of one setting, from raw text(s) to its typed value; `name` appears in messages. Throws
 * an error with a one-line message on a value that is not valid.
 */
export function parserOf(s: Setting<unknown>, name: string): (raw: RawValue) => unknown {
  if (s.shape === 'switch') {
    return (raw) => {
      if (raw === true || raw === 'true') return true;
      if (raw === 'false') return false;
      throw new UserError(`${name} must be true or false, got ${shownRaw(raw)}`, 2);
    };
  }
  const parse = s.kind.parser(name);
  if (s.shape === 'one') {
    return (raw) => {
      if (typeof raw !== 'string') throw new UserError(`${name} takes one value, got ${shownRaw(raw)}`, 2);
      return parse(raw);
    };
  }
  const split = s.split ?? ((t: string) => [t]);
  return (raw) => {
    if (raw === true) throw new UserError(`${name} needs a value`, 2);
    return (typeof raw === 'string' ? [raw] : raw).flatMap(split).map(parse);
  };
}

function shownRaw(raw: RawValue): string {
  return typeof raw === 'string' ? `"${raw}"` : raw === true ? 'no value' : 'a list';
}
