/**
 * --print-config: the effective settings of a subcommand as YAML (usable as a config file), each with
 * its source as a comment. Secret values are redacted: passwords in URLs, tokens.
 */
import { stringify } from 'yaml';
import type { CommandName, RawValue, Setting } from './setting.js';
import { COMMAND_SETTINGS, SETTINGS, type SettingKey } from './settings.js';
import type { Origin } from './resolve.js';

export const REDACTED = '[redacted]';

/** "redis://:secret@host:6379" → "redis://:[redacted]@host:6379"; the user name stays. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not a URL the parser accepts: hide anything between "//" and "@" that could hold a password.
    return text.replace(/\/\/[^/@]*@/, `//${REDACTED}@`);
  }
  if (!url.password) return text;
  const user = url.username ? decodeURIComponent(url.username) : '';
  return text.replace(/\/\/[^/]*@/, `//${user}:${REDACTED}@`);
}

function redact(setting: Setting<unknown>, raw: RawValue): RawValue {
  if (setting.secret) return REDACTED;
  const isUrl = setting.shape !== 'switch' && setting.kind.url === true;
  if (!isUrl) return raw;
  return Array.isArray(raw) ? raw.map(redactUrl) : typeof raw === 'string' ? redactUrl(raw) : raw;
}

function yamlValue(raw: RawValue): string {
  if (raw === true) return 'true';
  if (Array.isArray(raw)) return `[${raw.map((r) => yamlValue(r)).join(', ')}]`;
  return stringify(raw, { schema: 'failsafe' }).trim();
}

function sourceText(o: Origin): string {
  switch (o.source.from) {
    case 'flag':
      return 'flag';
    case 'env':
      return `env ${o.source.name}`;
    case 'file':
      return `file ${o.source.path}`;
    case 'default':
      return 'default';
    case 'unset':
      return 'not set';
  }
}

export function renderSettings(
  command: CommandName,
  origins: Map<SettingKey, Origin>,
  configPath?: string,
): string {
  const rows: [string, string][] = [];
  for (const key of COMMAND_SETTINGS[command] as readonly SettingKey[]) {
    const o = origins.get(key);
    if (!o) continue;
    const setting: Setting<unknown> = SETTINGS[key];
    if (o.source.from === 'unset' || o.raw === undefined) {
      rows.push([`# ${key}:`, sourceText(o)]);
      continue;
    }
    const shown = yamlValue(redact(setting, o.raw));
    // Flag-only settings are shown too, but marked: a config file may not hold them.
    rows.push([`${key}: ${shown}`, setting.only === 'flag' ? `${sourceText(o)}; flag only` : sourceText(o)]);
  }
  const width = Math.min(60, Math.max(...rows.map(([l]) => l.length)));
  const head = [
    `# snapshot-guard ${command}: effective settings (flags > environment > config file > defaults)`,
    ...(configPath ? [`# config file: ${configPath}`] : []),
  ];
  return `${[...head, ...rows.map(([l, s]) => `${l.padEnd(width)}  # ${s}`)].join('\n')}\n`;
}
