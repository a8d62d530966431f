/**
 * A strict JSON reader for the set manifest (docs/FORMAT.md section 12). JSON.parse silently keeps the
 * last of two members with the same name, turns `780.0` and `7.8e2` into 780 and replaces invalid
 * UTF-8 with U+FFFD, while other decoders reject some of these: two decoders would then disagree on
 * what an authenticated manifest says. This reader rejects all of them, so there is one reading.
 * Numbers must be plain non-negative integers (the manifest has no other kind).
 */
export class StrictJsonError extends Error {}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** The manifest is three levels deep; anything much deeper is rejected before it can exhaust the stack. */
const MAX_DEPTH = 16;
const PLAIN_INTEGER = /^(?:0|[1-9][0-9]*)$/;
const ESCAPE = /^(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/;
/** Everything that could be meant as a number, so that `1.5` or `-0` is named in the error. */
const NUMBER_LIKE = /-?[0-9][0-9.eE+-]*/y;

export function parseStrictJson(bytes: Uint8Array): JsonValue {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new StrictJsonError('not valid UTF-8');
  }
  const p = new Parser(text);
  p.space();
  const v = p.value(0);
  p.space();
  if (p.pos !== text.length) p.fail('unexpected text after the end');
  return v;
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  private sticky(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.pos;
    return re.exec(this.s);
  }
  fail(m: string): never {
    throw new StrictJsonError(`${m} (at character ${this.pos})`);
  }
  space(): void {
    while (/[ \t\r\n]/.test(this.s[this.pos] ?? '')) this.pos++;
  }
  private expect(c: string): void {
    if (this.s[this.pos] !== c) this.fail(`expected "${c}"`);
    this.pos++;
  }
  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    const c = this.s[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.number();
  }
  private object(depth: number): JsonValue {
    this.expect('{');
    const out: Record<string, JsonValue> = Object.create(null) as Record<string, JsonValue>;
    const seen = new Set<string>();
    this.space();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.space();
      const key = this.string();
      if (seen.has(key)) this.fail(`duplicate member "${key}"`);
      seen.add(key);
      this.space();
      this.expect(':');
      this.space();
      out[key] = this.value(depth + 1);
      this.space();
      if (this.s[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect('}');
      return out;
    }
  }
  private array(depth: number): JsonValue {
    this.expect('[');
    const out: JsonValue[] = [];
    this.space();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.space();
      out.push(this.value(depth + 1));
      this.space();
      if (this.s[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect(']');
      return out;
    }
  }
  private string(): string {
    const start = this.pos;
    this.expect('"');
    for (;;) {
      const c = this.s.charCodeAt(this.pos);
      if (Number.isNaN(c) || c < 0x20) this.fail('unterminated string or control character in a string');
      this.pos++;
      if (c === 0x22) break;
      if (c !== 0x5c) continue;
      if (!ESCAPE.test(this.s.slice(this.pos, this.pos + 5))) this.fail('invalid escape');
      this.pos += this.s[this.pos] === 'u' ? 5 : 1;
    }
    return JSON.parse(this.s.slice(start, this.pos)) as string;
  }
  private number(): number {
    const m = this.sticky(NUMBER_LIKE);
    if (!m) this.fail('unexpected character');
    if (!PLAIN_INTEGER.test(m[0])) this.fail(`number ${m[0]} is not a plain non-negative integer`);
    const n = Number(m[0]);
    if (!Number.isSafeInteger(n)) this.fail(`number ${m[0]} is above 2^53 - 1`);
    this.pos += m[0].length;
    return n;
  }
}
