/**
 * The independent Python decoder (test/decoder/sg_decode.py, written from docs/FORMAT.md) against the
 * checked-in vectors and against fresh files from the TypeScript CLI: if both agree, the spec is complete.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, runCli } from '../../helpers/cli.js';
import { runPythonDecoder } from '../../helpers/python-decoder.js';

const VECTORS = join(PROJECT_ROOT, 'test', 'vectors');

const runPython = runPythonDecoder;

let dir: string;
let keyFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-pydec-'));
  keyFile = join(dir, 'key');
  const r = await runCli(['keygen', '--out', keyFile]);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Python decoder', () => {
  it('passes every checked-in vector', async () => {
    const count = readdirSync(VECTORS).filter((n) => n.endsWith('.json')).length;
    const r = await runPython(['--vectors', VECTORS]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`${count} passed, 0 failed`);
  });

  it('notices vectors that do not behave as they claim (the check is not vacuous)', async () => {
    const bad = join(dir, 'bad-vectors');
    cpSync(VECTORS, bad, { recursive: true });
    const edit = (name: string, change: (v: Record<string, unknown>) => void) => {
      const path = join(bad, name);
      const v = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      change(v);
      writeFileSync(path, JSON.stringify(v));
    };
    edit('one-byte.json', (v) => (v.plaintext = '42'));
    edit('tag-bitflip.json', (v) => (v.expect = 'plaintext'));
    edit('bad-magic.json', (v) => (v.error_stage = 'payload'));
    const r = await runPython(['--vectors', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL one-byte\.json/);
    expect(r.stdout).toMatch(/FAIL tag-bitflip\.json/);
    expect(r.stdout).toMatch(/FAIL bad-magic\.json/);
    expect(r.stdout).toMatch(/ 3 failed$/m);
  });

  const cases: [string, number, string[]][] = [
    ['empty, default 1 MiB segments', 0, []],
    ['1 byte, default segments', 1, []],
    ['exactly the first 1 MiB segment', 1024 * 1024 - 56, []],
    ['first 1 MiB segment + 1 byte', 1024 * 1024 - 55, []],
    ['3 MiB + 12345 bytes, default 1 MiB segments (4 segments)', 3 * 1024 * 1024 + 12345, []],
    ['5000 bytes in 256-byte segments', 5000, ['--segment-size', '256']],
    ['an exact multiple of 4 KiB segments', 4096 - 56 + 3 * (4096 - 16), ['--segment-size', '4KiB']],
  ];
  it.each(cases)('decrypts CLI output: %s', async (_name, size, extra) => {
    const plain = join(dir, `plain-${size}`);
    const enc = join(dir, `enc-${size}-${extra.length}.sg`);
    const out = join(dir, `out-${size}-${extra.length}`);
    const data = randomBytes(size);
    writeFileSync(plain, data);
    const e = await runCli(['encrypt', plain, '-o', enc, '--key-file', keyFile, ...extra]);
    expect(e.code, e.stderr).toBe(0);
    const d = await runPython(['--key-file', keyFile, enc, out]);
    expect(d.code, d.stderr).toBe(0);
    expect(readFileSync(out).equals(data)).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('rejects a tampered CLI file with one line, exit 1, and no output file', async () => {
    const plain = join(dir, 'plain-tamper');
    const enc = join(dir, 'tamper.sg');
    writeFileSync(plain, randomBytes(2 * 1024 * 1024));
    expect((await runCli(['encrypt', plain, '-o', enc, '--key-file', keyFile])).code).toBe(0);
    const bytes = readFileSync(enc);
    bytes[bytes.length - 5000] = (bytes[bytes.length - 5000] ?? 0) ^ 4;
    writeFileSync(enc, bytes);
    const before = readdirSync(dir).sort();
    const d = await runPython(['--key-file', keyFile, enc, join(dir, 'tamper.out')]);
    expect(d.code).toBe(1);
    expect(d.stderr.trim().split('\n')).toHaveLength(1);
    expect(d.stderr).toMatch(/authentication failed in segment 1/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
