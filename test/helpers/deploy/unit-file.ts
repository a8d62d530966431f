/** Reads systemd unit files the way the tests need: directive → values, continuation lines joined. */
import { readFileSync } from 'node:fs';

/** Directive → values, over every section (later lines add to earlier ones, as systemd lists do). */
export function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // A trailing backslash continues the line; values get single spaces between words.
  for (const raw of text.replace(/\\\n\s*/g, ' ').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('[')) continue;
    const i = line.indexOf('=');
    const key = line.slice(0, i);
    out.set(key, [...(out.get(key) ?? []), line.slice(i + 1).replace(/\s+/g, ' ')]);
  }
  return out;
}

export function unitDirectives(path: string): Map<string, string[]> {
  return directives(readFileSync(path, 'utf8'));
}
