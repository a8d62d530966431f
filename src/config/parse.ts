/**
 * Parsers of setting values given as text (a flag's argument, an environment variable, a scalar of
 * the config file). Each throws a one-line UserError (exit 2) that names the flag.
 */
import { UserError } from '../errors.js';

export function parseIntegerIn(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new UserError(`${name} must be a whole number, got "${value}"`, 2);
    const n = Number(value);
    if (n < min || n > max) throw new UserError(`${name} must be between ${min} and ${max}, got ${n}`, 2);
    return n;
  };
}

/** Accepts "1048576", "1MiB", "64KiB". */
export function parseSize(name: string, min: number, max: number) {
  return (value: string): number => {
    const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/i.exec(value.trim());
    if (!m?.[1]) throw new UserError(`${name} must be a size like 1048576, 64KiB or 1MiB, got "${value}"`, 2);
    const unit = (m[2] ?? 'B').toLowerCase();
    const mult = unit === 'kib' ? 1024 : unit === 'mib' ? 1024 ** 2 : unit === 'gib' ? 1024 ** 3 : 1;
    const n = Number(m[1]) * mult;
    if (n < min || n > max)
      throw new UserError(`${name} must be between ${min} and ${max} bytes, got ${n}`, 2);
    return n;
  };
}

/** Parses "90s", "15m", "6h", "7d", "500ms" into milliseconds. */
export function parseDuration(name: string) {
  return (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(value.trim());
    if (!m?.[1] || !m[2])
      throw new UserError(`${name} must be a duration like 30s, 15m, 6h or 7d, got "${value}"`, 2);
    const mult = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[m[2]] ?? 1;
    return Math.round(Number(m[1]) * mult);
  };
}

/** Owner read+write always; the group may read or write; never others, never execute. */
export function parseFileMode(value: string): number {
  const mode = /^0?[0-7]{3}$/.test(value) ? parseInt(value, 8) : NaN;
  if (!Number.isInteger(mode) || (mode & 0o600) !== 0o600 || (mode & 0o117) !== 0) {
    throw new UserError(
      `--mode must be 0600, 0640 or 0660 (owner read/write, no access for others), got "${value}"`,
      2,
    );
  }
  return mode;
}

export function parseChoice<T extends string>(name: string, choices: readonly T[]) {
  return (value: string): T => {
    const found = choices.find((c) => c === value);
    if (found === undefined)
      throw new UserError(`${name} must be one of ${choices.join(', ')}, got "${value}"`, 2);
    return found;
  };
}
