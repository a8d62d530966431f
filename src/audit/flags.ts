/**
 * Reading a server's flags the way Dragonfly (Abseil flags) reads them: `--name=value`, `--name value`,
 * `-name`, booleans as `--name`/`--noname`, `--` ends the flags, and `--flagfile` files with one flag per
 * line and `#` comments. Redis accepts `--name value` too; its names use dashes.
 */

export interface FlagValue {
  /** The name as written (without dashes in front), e.g. "maxmemory-policy". */
  written: string;
  value: string;
  /** Where it was seen: "--flagfile /etc/dragonfly/dragonfly.conf:3", "--cmdline", "/proc/42/cmdline". */
  source: string;
}

/** Splits a command line like a POSIX shell would for plain words, '…' and "…" (no expansion). */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/**
 * Flags from an argument list (argv without the program name). `--name value` takes the next word as
 * the value when it does not start with "-" (Abseil does this for non-boolean flags; a lone `--name`
 * is a boolean set to true). Positional words are ignored.
 */
export function parseArgs(args: readonly string[], source: string, positionals: string[] = []): FlagValue[] {
  const out: FlagValue[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    const m = /^--?([A-Za-z_][A-Za-z0-9_.-]*)(?:=(.*))?$/s.exec(a);
    if (!m?.[1]) {
      positionals.push(a);
      continue;
    }
    let value = m[2];
    if (value === undefined) {
      const next = args[i + 1];
      // A negative number is a value ("--slowlog_log_slower_than -1"), not the next flag.
      if (next !== undefined && (!next.startsWith('-') || /^-\d/.test(next))) {
        value = next;
        i++;
      } else {
        value = 'true';
      }
    }
    out.push({ written: m[1], value, source });
  }
  return out;
}

/** A --flagfile: one flag per line, `#` comments and blank lines ignored, a line may also be `--name value`. */
export function parseFlagfile(text: string, path: string): FlagValue[] {
  const out: FlagValue[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const words = /^-[^=\s]+=/.test(line) ? [line] : splitCommandLine(line);
    out.push(...parseArgs(words, `${path}:${index + 1}`));
  });
  return out;
}

/** Dragonfly's name for a flag: dashes in front removed; for Redis, dashes inside become underscores. */
export function canonicalName(written: string, kind: 'dragonfly' | 'redis'): string {
  return kind === 'redis' ? written.replace(/-/g, '_').toLowerCase() : written;
}

const FALSE = new Set(['false', 'no', '0', 'off']);

/** Abseil booleans: "true"/"false"/"1"/"0"/"yes"/"no". */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && !FALSE.has(value.trim().toLowerCase());
}
