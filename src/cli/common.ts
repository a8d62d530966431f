/** Small helpers shared by subcommands. */
import { Option } from 'commander';
import { hostname } from 'node:os';
import { UserError } from '../errors.js';
import { LOG_LEVELS } from '../observe/logger.js';
import { MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE } from '../format/limits.js';

export function instanceOption(): Option {
  return new Option('--instance <name>', 'instance name recorded in headers and bound to the data key')
    .env('SNAPSHOT_GUARD_INSTANCE')
    .default(hostname(), 'this host name');
}

export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level')
    .choices([...LOG_LEVELS])
    .env('SNAPSHOT_GUARD_LOG_LEVEL')
    .default('info');
}

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

export const segmentSizeOption = (): Option =>
  new Option('--segment-size <size>', 'ciphertext segment size (advanced)')
    .argParser(parseSize('--segment-size', MIN_SEGMENT_SIZE, MAX_SEGMENT_SIZE))
    .default(1024 * 1024, '1MiB');

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

/** --threads for commands that work on one large file (0 = automatic). */
export const threadsOption = (
  automatic = 'one per CPU (up to 8) for files of 64 MiB or more, else 1',
): Option =>
  new Option(
    '--threads <n>',
    'threads for one file: 1 streams on one core; more split its segments between threads',
  )
    .argParser(parseIntegerIn('--threads', 1, 64))
    .env('SNAPSHOT_GUARD_THREADS')
    .default(0, automatic);
