/**
 * The one-shot commands (keygen, encrypt, decrypt) as a user runs them: the built CLI in a real process,
 * real files. Round trips are exact; failures are one clear line, a non-zero exit, and leave nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, runCli, type CliResult } from '../../helpers/cli.js';

let dir: string;
let key: string;
let otherKey: string;
let n = 0;
const fresh = (name: string) => join(dir, `${n++}-${name}`);
const mode = (path: string) => statSync(path).mode & 0o777;

/** Exactly one line on stderr, prefixed, without a stack trace. */
function expectOneLine(r: CliResult, pattern: RegExp): void {
  expect(r.stderr.endsWith('\n'), r.stderr).toBe(true);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).toMatch(pattern);
}

async function encryptBytes(data: Buffer, extra: string[] = []): Promise<string> {
  const plain = fresh('plain');
  const enc = fresh('enc.sg');
  writeFileSync(plain, data);
  const r = await runCli(['encrypt', plain, '-o', enc, '--key-file', key, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return enc;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-oneshot-'));
  key = join(dir, 'main.key');
  otherKey = join(dir, 'other.key');
  for (const k of [key, otherKey]) expect((await runCli(['keygen', '--out', k])).code).toBe(0);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('keygen', () => {
  it('writes a 0600 key file in the documented format and says where, in one line', async () => {
    const path = fresh('new.key');
    const r = await runCli(['keygen', '--out', path]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(0);
    expectOneLine(r, /wrote key [0-9a-f]{16} to .*new\.key \(mode 0600\)/);
    expect(mode(path)).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(/^snapshot-guard-key-v1:[A-Za-z0-9+/]{43}=\n$/);
  });

  it('refuses to overwrite an existing key', async () => {
    const before = readFileSync(key);
    const r = await runCli(['keygen', '--out', key]);
    expect(r.code).not.toBe(0);
    expectOneLine(r, /already exists; refusing to overwrite/);
    expect(readFileSync(key).equals(before)).toBe(true);
  });
});

describe('encrypt and decrypt round trips', () => {
  it.each([
    ['0 bytes', 0],
    ['1 byte', 1],
    ['1 MiB', 1024 * 1024],
    ['20 MiB + 7 bytes', 20 * 1024 * 1024 + 7],
  ])('%s come back exactly, every file mode 0600, no temporary files left', async (_name, size) => {
    const data = randomBytes(size);
    const enc = await encryptBytes(data);
    expect(mode(enc)).toBe(0o600);
    const out = fresh('out');
    const r = await runCli(['decrypt', enc, '-o', out, '--key-file', key]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBe(0);
    expect(mode(out)).toBe(0o600);
    expect(readFileSync(out).equals(data)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.sg-tmp-'))).toEqual([]);
  });

  it('a file name of the longest length the format allows (252 bytes; its .sg is 255) round trips', async () => {
    // The temporary file beside the output must still fit the file system's 255-byte name limit.
    const sub = fresh('long');
    mkdirSync(sub);
    const name = `${'d'.repeat(248)}.rdb`;
    const data = randomBytes(1000);
    writeFileSync(join(sub, name), data);
    const enc = join(sub, `${name}.sg`);
    const e = await runCli(['encrypt', join(sub, name), '-o', enc, '--key-file', key]);
    expect(e.code, e.stderr).toBe(0);
    rmSync(join(sub, name));
    const d = await runCli(['decrypt', enc, '-o', join(sub, name), '--key-file', key]);
    expect(d.code, d.stderr).toBe(0);
    expect(readFileSync(join(sub, name)).equals(data)).toBe(true);
    expect(readdirSync(sub).sort()).toEqual([name, `${name}.sg`].sort());
  });

  it('reads stdin and writes stdout where allowed', async () => {
    const data = randomBytes(300_000);
    // encrypt stdin → stdout
    const e = await runCli(['encrypt', '-', '-o', '-', '--key-file', key, '--segment-size', '64KiB'], {
      input: data,
    });
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout.subarray(0, 8).toString('latin1')).toBe('SGUARD\n\x1a');
    // decrypt stdin → file
    const out = fresh('from-stdin');
    const d = await runCli(['decrypt', '-', '-o', out, '--key-file', key], { input: e.stdout });
    expect(d.code, d.stderr).toBe(0);
    expect(readFileSync(out).equals(data)).toBe(true);
    // decrypt file → stdout
    const enc = fresh('stdout.sg');
    writeFileSync(enc, e.stdout);
    const s = await runCli(['decrypt', enc, '-o', '-', '--key-file', key]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout.equals(data)).toBe(true);
    // encrypt stdin → file
    const enc2 = fresh('stdin.sg');
    const e2 = await runCli(['encrypt', '-', '-o', enc2, '--key-file', key], { input: data });
    expect(e2.code, e2.stderr).toBe(0);
    expect(mode(enc2)).toBe(0o600);
  });

  it('encrypts a device given as the input path (streamed: only a regular file is read at offsets)', async () => {
    const enc = fresh('dev-null.sg');
    const e = await runCli(['encrypt', '/dev/null', '-o', enc, '--key-file', key]);
    expect(e.code, e.stderr).toBe(0);
    const out = fresh('dev-null');
    const d = await runCli(['decrypt', enc, '-o', out, '--key-file', key]);
    expect(d.code, d.stderr).toBe(0);
    expect(readFileSync(out)).toHaveLength(0);
  });

  it('encrypts from a named pipe given as the input path (read in order, without offsets)', async () => {
    const fifo = fresh('pipe');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    const data = randomBytes(9 * 1024 * 1024 + 123); // several reads, more than a pipe buffer
    // The writer opens the pipe in its own process and blocks until encrypt opens it for reading.
    const writer = spawn('sh', ['-c', 'cat > "$1"', 'sh', fifo], { stdio: ['pipe', 'ignore', 'inherit'] });
    writer.stdin.end(data);
    const enc = fresh('pipe.sg');
    const e = await runCli(['encrypt', fifo, '-o', enc, '--key-file', key]);
    expect(e.code, e.stderr).toBe(0);
    const out = fresh('pipe.out');
    const d = await runCli(['decrypt', enc, '-o', out, '--key-file', key]);
    expect(d.code, d.stderr).toBe(0);
    expect(readFileSync(out).equals(data)).toBe(true);
  });

  it('decrypt -o - releases nothing before the whole input authenticated, even if the input changes meanwhile', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const enc = await encryptBytes(data);
    const spool = fresh('tmpdir');
    mkdirSync(spool, { mode: 0o700 });
    const child = spawn(process.execPath, [CLI_PATH, 'decrypt', enc, '-o', '-', '--key-file', key], {
      env: { ...process.env, TMPDIR: spool },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    let changed = false;
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
      if (changed) return;
      // The first plaintext byte is out: now the input changes (its last segment is damaged).
      changed = true;
      child.stdout.pause();
      const fd = openSync(enc, 'r+');
      writeSync(fd, Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, statSync(enc).size - 100);
      closeSync(fd);
      child.stdout.resume();
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    const released = Buffer.concat(out);
    // Whatever reached stdout was authenticated as a whole: all of it, or (on failure) nothing.
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(released.equals(data)).toBe(true);
    expect(readdirSync(spool)).toEqual([]); // the spool was private and is gone
  });

  it('refuses decrypt from stdin to stdout: plaintext must not flow before it is authenticated', async () => {
    const enc = await encryptBytes(randomBytes(1000));
    const r = await runCli(['decrypt', '-', '-o', '-', '--key-file', key], { input: readFileSync(enc) });
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
    expectOneLine(r, /cannot stream stdin to stdout/);
  });

  it('does not overwrite an existing output without --force, and does with it', async () => {
    const enc = await encryptBytes(Buffer.from('new contents'));
    const out = fresh('existing');
    writeFileSync(out, 'old contents');
    const r = await runCli(['decrypt', enc, '-o', out, '--key-file', key]);
    expect(r.code).not.toBe(0);
    expectOneLine(r, /already exists; refusing to overwrite it \(pass --force/);
    expect(readFileSync(out, 'utf8')).toBe('old contents');
    const f = await runCli(['decrypt', enc, '-o', out, '--key-file', key, '--force']);
    expect(f.code, f.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('new contents');
  });
});

describe('bad input: one clear line, non-zero exit, no output and no temporary file', () => {
  const size = 3 * 1024 * 1024 + 99; // four 1 MiB segments
  let good: Buffer;

  beforeAll(async () => {
    good = readFileSync(await encryptBytes(randomBytes(size)));
  });

  const headerLength = () => good.readUInt32BE(10);
  /** Offset of the first file-name byte: after instance and set id (docs/FORMAT.md 3.1). */
  const fileNameAt = () => {
    let p = 26;
    for (let i = 0; i < 2; i++) p += 2 + good.readUInt16BE(p);
    return p + 2;
  };
  const flip = (at: number) => {
    const b = Buffer.from(good);
    b[at] = (b[at] ?? 0) ^ 0x10;
    return b;
  };
  const cases: [string, () => Buffer, string, RegExp][] = [
    ['a flipped payload byte', () => flip(headerLength() + 2 * 1024 * 1024 + 12), 'main', /segment 2/],
    [
      'a flipped byte in the last segment',
      () => flip(good.length - 3),
      'main',
      /authentication failed in segment 3/,
    ],
    ['a flipped header byte (file name)', () => flip(fileNameAt()), 'main', /header authentication failed/],
    [
      'truncation at a segment boundary',
      () => good.subarray(0, headerLength() + 3 * 1024 * 1024),
      'main',
      /segment 2/,
    ],
    ['truncation inside a segment', () => good.subarray(0, good.length - 1), 'main', /segment 3/],
    ['truncation inside the header', () => good.subarray(0, 30), 'main', /header is truncated/],
    ['an empty file', () => Buffer.alloc(0), 'main', /too short/],
    ['the wrong key', () => good, 'other', /none of the configured keys .* wrapped this data key/],
  ];

  it.each(cases)('%s', async (_name, bytes, which, message) => {
    const enc = fresh('bad.sg');
    writeFileSync(enc, bytes());
    const keyFile = which === 'main' ? key : otherKey;
    const before = readdirSync(dir).sort();
    const out = fresh('bad.out');
    const r = await runCli(['decrypt', enc, '-o', out, '--key-file', keyFile]);
    expect(r.code).not.toBe(0);
    expectOneLine(r, message);
    expect(readdirSync(dir).sort()).toEqual(before);
    const s = await runCli(['decrypt', enc, '-o', '-', '--key-file', keyFile]);
    expect(s.code).not.toBe(0);
    expect(s.stdout.length, 'nothing may reach stdout').toBe(0);
    expectOneLine(s, message);
    const i = await runCli(['decrypt', '-', '-o', out, '--key-file', keyFile], { input: bytes() });
    expect(i.code).not.toBe(0);
    expectOneLine(i, message);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('refuses a key file that group or others can read, with the chmod hint', async () => {
    const loose = fresh('loose.key');
    writeFileSync(loose, readFileSync(key));
    chmodSync(loose, 0o644);
    const plain = fresh('plain');
    writeFileSync(plain, 'x');
    const before = readdirSync(dir).sort();
    for (const args of [
      ['encrypt', plain, '-o', fresh('never.sg')],
      ['decrypt', plain, '-o', fresh('never.out')],
    ]) {
      const r = await runCli([...args, '--key-file', loose]);
      expect(r.code).not.toBe(0);
      expectOneLine(
        r,
        new RegExp(`mode 0644\\); fix with: chmod 600 ${loose.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
    }
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('refuses a malformed key file', async () => {
    const bad = fresh('bad.key');
    writeFileSync(bad, 'snapshot-guard-key-v1:not-base64\n', { mode: 0o600 });
    const r = await runCli(['encrypt', '-', '-o', fresh('x.sg'), '--key-file', bad], {
      input: Buffer.from('x'),
    });
    expect(r.code).not.toBe(0);
    expectOneLine(r, /is malformed: expected one line "snapshot-guard-key-v1:<base64 of 32 bytes>"/);
  });

  it('refuses the same key given twice (a copy of the key file under another name too), exit 2', async () => {
    const copy = fresh('copy.key');
    writeFileSync(copy, readFileSync(key), { mode: 0o600 });
    const before = readdirSync(dir).sort();
    const out = fresh('x.sg');
    const r = await runCli(['encrypt', '-', '-o', out, '--key-file', key, '--key-file', copy], {
      input: Buffer.from('x'),
    });
    expect(r.code).toBe(2);
    expectOneLine(
      r,
      /the same key is configured twice: local key [0-9a-f]{16} \(.*copy\.key\); pass each key once/,
    );
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('blames the output, not the input, when the directory of -o is missing', async () => {
    const plain = fresh('plain');
    writeFileSync(plain, randomBytes(1000));
    const target = join(dir, 'no-such-dir', 'deeper', 'out');
    const e = await runCli(['encrypt', plain, '-o', target, '--key-file', key]);
    expect(e.code).toBe(1);
    expectOneLine(
      e,
      new RegExp(
        `^snapshot-guard: cannot write ${target}: the directory ${join(dir, 'no-such-dir', 'deeper')} does not exist; create it first`,
      ),
    );
    const enc = await encryptBytes(randomBytes(1000));
    const d = await runCli(['decrypt', enc, '-o', target, '--key-file', key]);
    expect(d.code).toBe(1);
    expectOneLine(d, /cannot write .*no-such-dir\/deeper\/out: the directory .* does not exist/);
  });

  it('says what a file-system error means and what to do, never a bare code like EPERM', async () => {
    const locked = fresh('immutable');
    mkdirSync(locked, { mode: 0o700 });
    // chattr +i stops even root (this suite runs as root, where chmod would not).
    execFileSync('chattr', ['+i', locked]);
    try {
      const r = await runCli(['keygen', '--out', join(locked, 'k')]);
      expect(r.code).toBe(1);
      expectOneLine(r, /permission denied: cannot create the key file .*; check its owner and mode \(ls -l /);
      expect(r.stderr).not.toMatch(/\bE[A-Z]{3,}\b/);
      const proc = await runCli(['keygen', '--out', '/proc/snapshot-guard-key']);
      expectOneLine(proc, /\/proc does not accept new files/);
    } finally {
      execFileSync('chattr', ['-i', locked]);
    }
  });

  it('option-parser errors are one line that starts with snapshot-guard: and points at --help, exit 2', async () => {
    for (const [args, what] of [
      [
        ['restore', '--from', 'a', '--to', 'b', '--bogus'],
        /unknown option '--bogus'; see `snapshot-guard restore --help`$/,
      ],
      [
        ['encrypt', 'x'],
        /required option --output not specified: pass --output <out>.*; see `snapshot-guard encrypt --help`$/,
      ],
      [['restore', '--from'], /option '--from <dir>' argument missing; see `snapshot-guard restore --help`$/],
      [['frobnicate'], /unknown command 'frobnicate'; see `snapshot-guard --help`$/],
    ] as const) {
      const r = await runCli([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expectOneLine(r, /^snapshot-guard: /);
      expect(r.stderr.trim()).toMatch(what);
    }
  });

  it('rejects an unknown subcommand and an unknown flag with exit code 2', async () => {
    const sub = await runCli(['frobnicate']);
    expect(sub.code).toBe(2);
    expectOneLine(sub, /unknown command 'frobnicate'/);
    const flag = await runCli(['encrypt', '-', '-o', '-', '--key-file', key, '--no-such-flag']);
    expect(flag.code).toBe(2);
    expect(flag.stdout.length).toBe(0);
    expectOneLine(flag, /unknown option '--no-such-flag'/);
  });
});
