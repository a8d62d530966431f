/**
 * The config file (--config FILE): YAML whose keys are the long flag names (`dir:`, `key-file:` …),
 * a list for a repeatable flag. Every scalar is read as text (YAML's failsafe schema), exactly like a
 * flag's argument, so `mode: 0600` stays octal and `keep-last: 48` needs no quotes. Validation fails
 * with one line naming the file, the key and what is expected.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { UserError, errnoCode } from '../errors.js';
import { expectedOf, parserOf, type CommandName, type RawValue, type Setting } from './setting.js';
import { COMMAND_SETTINGS, SETTINGS, commandsReading, type SettingKey } from './settings.js';

export interface ConfigFile {
  path: string;
  /** Validated values by key (deprecated spellings already mapped to their setting). */
  values: Map<SettingKey, { raw: RawValue; value: unknown }>;
  /** One line each, for deprecated keys. */
  warnings: string[];
}

export class ConfigFileError extends UserError {
  constructor(path: string, key: string | undefined, problem: string) {
    super(key === undefined ? `${path}: ${problem}` : `${path}: ${key}: ${problem}`, 2);
    this.name = 'ConfigFileError';
  }
}

const ALIASES = new Map<string, SettingKey>(
  Object.entries(SETTINGS).flatMap(([key, s]) =>
    ((s as Setting<unknown>).deprecatedAliases ?? []).map((alias) => [alias, key as SettingKey] as const),
  ),
);

/** How a raw YAML value is named in "got …". */
function shown(value: unknown): string {
  if (typeof value === 'string') return value === '' ? 'nothing' : JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  return String(value);
}

/** Edit distance, for "did you mean …?" after a misspelt key. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function unknownKey(path: string, key: string): ConfigFileError {
  const near = Object.keys(SETTINGS)
    .map((k) => ({ k, d: distance(key, k) }))
    .sort((x, y) => x.d - y.d)[0];
  const hint = near && near.d <= 2 ? `; did you mean ${near.k}?` : '';
  return new ConfigFileError(
    path,
    key,
    `unknown setting${hint} (keys are the long flag names, listed in the README's "Config file" section)`,
  );
}

/** A non-empty text, or a non-empty list of non-empty texts: what a setting's value may be in the file. */
function isTextOrTextList(raw: unknown): raw is string | string[] {
  const isText = (v: unknown) => typeof v === 'string' && v.length > 0;
  return isText(raw) || (Array.isArray(raw) && raw.length > 0 && raw.every(isText));
}

/** Parses YAML text into its top-level mapping; `path` names the file in errors. */
export function parseConfigText(text: string, path: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text, { schema: 'failsafe', uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const at = err.linePos?.[0] ? `line ${err.linePos[0].line}: ` : '';
      const what = err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'invalid YAML';
      throw new ConfigFileError(path, undefined, `${at}not valid YAML (${what})`);
    }
    throw err;
  }
  if (doc === null || doc === undefined || doc === '') return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigFileError(path, undefined, 'expected a mapping of settings (key: value lines)');
  }
  return doc as Record<string, unknown>;
}

/** Validates a parsed mapping: every key a setting of some subcommand (or of `only`), every value valid. */
export function validateConfig(doc: Record<string, unknown>, path: string, only?: CommandName): ConfigFile {
  const values = new Map<SettingKey, { raw: RawValue; value: unknown }>();
  const warnings: string[] = [];
  for (const [written, raw] of Object.entries(doc)) {
    const alias = ALIASES.get(written);
    const key = alias ?? written;
    if (!Object.hasOwn(SETTINGS, key)) throw unknownKey(path, written);
    const k = key as SettingKey;
    const setting: Setting<unknown> = SETTINGS[k];
    if (alias) warnings.push(`${path}: ${written} is deprecated; write ${alias} instead`);
    if (setting.only === 'flag') {
      throw new ConfigFileError(
        path,
        written,
        `only accepted as a flag (--${k}): it says what to do this time`,
      );
    }
    if (setting.only === 'env') {
      throw new ConfigFileError(
        path,
        written,
        `secret, only read from the environment (${setting.env ?? ''})`,
      );
    }
    if (only && !(COMMAND_SETTINGS[only] as readonly string[]).includes(k)) {
      throw new ConfigFileError(
        path,
        written,
        `not a setting of \`snapshot-guard ${only}\` (only of ${commandsReading(k).join(', ')})`,
      );
    }
    if (values.has(k))
      throw new ConfigFileError(path, written, `given twice (as ${k} and a deprecated spelling)`);
    const expected = `expected ${expectedOf(setting)}, got ${shown(raw)}`;
    // A YAML list only for a repeatable setting; no nested mappings; no empty values.
    if (!isTextOrTextList(raw) || (Array.isArray(raw) && setting.shape !== 'list')) {
      throw new ConfigFileError(path, written, expected);
    }
    let value: unknown;
    try {
      value = parserOf(setting, `--${k}`)(raw);
    } catch {
      throw new ConfigFileError(path, written, expected);
    }
    values.set(k, { raw, value });
  }
  return { path, values, warnings };
}

/** Reads and validates a config file. */
export async function loadConfigFile(path: string, only?: CommandName): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigFileError(
      path,
      undefined,
      `cannot read the config file (${errnoCode(err) ?? String(err)})`,
    );
  }
  return validateConfig(parseConfigText(text, path), path, only);
}
