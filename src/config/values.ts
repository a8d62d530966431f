/**
 * Kinds of setting values. Each kind is a parser from the text a user wrote (flag argument,
 * environment variable, config-file scalar) to the typed value, plus what a valid value looks like
 * (for the config file's "expected …" messages and the README table). Plain functions rather than a
 * schema library: every command parses its settings at start, and a one-shot `encrypt` must not pay
 * ~15 MiB of memory for loading one.
 */
import { MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE } from '../format/limits.js';
import { parseMetricsAddr, type MetricsAddr } from '../observe/listen-address.js';
import { parseChoice, parseDuration, parseFileMode, parseIntegerIn, parseSize } from './parse.js';

export interface ValueKind<T> {
  /** What a valid value looks like, e.g. "a duration like 30s, 15m, 6h or 7d". */
  readonly expected: string;
  /**
   * Text → value; `name` is how messages name the setting ("--keep-last"). Throws an error whose
   * message is one line naming the setting.
   */
  parser(name: string): (text: string) => T;
  /** The value may hold a URL whose password must not be shown. */
  readonly url?: boolean;
  /** The only values accepted, for --help. */
  readonly choices?: readonly string[];
}

/** A kind from a parser that throws a UserError with a message naming the setting. */
export function textKind<T>(
  expected: string,
  parse: (name: string) => (text: string) => T,
  extra: { url?: boolean } = {},
): ValueKind<T> {
  return { expected, ...extra, parser: parse };
}

/** Any text: a path, a name, an id. */
export const text = (expected = 'a string'): ValueKind<string> => ({
  expected,
  parser: () => (value) => value,
});

export const path = text('a path');

/** A URL, shown with its password redacted. */
export const url = (expected: string): ValueKind<string> => ({ ...text(expected), url: true });

export function wholeNumber(min: number, max: number): ValueKind<number> {
  const expected = max >= 1_000_000 ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`;
  return textKind(expected, (name) => parseIntegerIn(name, min, max));
}

export const duration = textKind('a duration like 30s, 15m, 6h or 7d', parseDuration);

export const segmentSize = textKind(
  `a size like 1048576, 64KiB or 1MiB, from ${MIN_SEGMENT_SIZE} to ${MAX_SEGMENT_SIZE} bytes`,
  (name) => parseSize(name, MIN_SEGMENT_SIZE, MAX_SEGMENT_SIZE),
);

export const fileMode = textKind('0600, 0640 or 0660', () => parseFileMode);

export const listenAddress: ValueKind<MetricsAddr> = textKind(
  'HOST:PORT such as 127.0.0.1:9464 or 0.0.0.0:9464, or off',
  () => parseMetricsAddr,
);

export function choice<T extends string>(choices: readonly T[]): ValueKind<T> {
  return { ...textKind(`one of ${choices.join(', ')}`, (name) => parseChoice(name, choices)), choices };
}
