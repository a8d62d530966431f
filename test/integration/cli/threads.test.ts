/**
 * encrypt/decrypt with one file split between real worker threads (the built CLI): the output is the
 * same format the streaming path and the independent Python decoder read, and a tampered file still
 * leaves nothing behind.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, PROJECT_ROOT, runCli } from '../../helpers/cli.js';
import { runPythonDecoder } from '../../helpers/python-decoder.js';

let dir: string;
let key: string;
const plain = randomBytes(20 * 1024 * 1024 + 4321);

beforeAll(async () => {
  // Without the compiled worker the CLI quietly falls back to one thread: this test would prove nothing.
  expect(existsSync(join(PROJECT_ROOT, 'dist', 'parallel', 'segment-worker.js'))).toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'sg-threads-'));
  key = join(dir, 'k');
  expect((await runCli(['keygen', '--out', key])).code).toBe(0);
  writeFileSync(join(dir, 'plain'), plain);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<void> {
  const r = await runCli([...args, '--key-file', key]);
  expect(r.code, r.stderr).toBe(0);
}

describe('--threads', () => {
  it('threads and streaming read each other’s output; the Python decoder reads the threaded one', async () => {
    const p = join(dir, 'plain');
    // 256 KiB segments: 16 per 4 MiB batch, so 3 threads share 6 batches.
    await cli('encrypt', p, '-o', join(dir, 't.sg'), '--threads', '3', '--segment-size', '256KiB');
    await cli('encrypt', p, '-o', join(dir, 's.sg'), '--threads', '1', '--segment-size', '256KiB');
    expect(statSync(join(dir, 't.sg')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 't.sg')).size).toBe(statSync(join(dir, 's.sg')).size);
    await cli('decrypt', join(dir, 't.sg'), '-o', join(dir, 't-stream'), '--threads', '1');
    await cli('decrypt', join(dir, 's.sg'), '-o', join(dir, 's-threads'), '--threads', '2');
    for (const name of ['t-stream', 's-threads'])
      expect(readFileSync(join(dir, name)).equals(plain)).toBe(true);
    expect(statSync(join(dir, 's-threads')).mode & 0o777).toBe(0o600);

    const py = await runPythonDecoder(['--key-file', key, join(dir, 't.sg'), join(dir, 'py')]);
    expect(py.code, py.stderr).toBe(0);
    expect(readFileSync(join(dir, 'py')).equals(plain)).toBe(true);
  });

  it('to stdout: batches from several threads arrive in order', async () => {
    const r = await runCli([
      'encrypt',
      join(dir, 'plain'),
      '-o',
      '-',
      '--threads',
      '3',
      '--segment-size',
      '256KiB',
      '--key-file',
      key,
    ]);
    expect(r.code, r.stderr).toBe(0);
    writeFileSync(join(dir, 'stdout.sg'), r.stdout);
    await cli('decrypt', join(dir, 'stdout.sg'), '-o', join(dir, 'stdout.out'), '--threads', '1');
    expect(readFileSync(join(dir, 'stdout.out')).equals(plain)).toBe(true);
  });

  it('to a reader that goes away: exits 1 quietly, like the streaming path (no crash trace)', () => {
    const r = spawnSync(
      'bash',
      [
        '-c',
        '"$0" "$1" encrypt "$2" -o - --threads 2 --key-file "$3" | head -c 100 >/dev/null; echo "exit=${PIPESTATUS[0]}"',
        process.execPath,
        CLI_PATH,
        join(dir, 'plain'),
        key,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stdout.trim()).toBe('exit=1');
    expect(r.stderr).toBe('');
  });

  it('to a non-blocking pipe whose reader is slow: waits on a full pipe (EAGAIN) instead of failing', async () => {
    // The threads write to fd 1 themselves; here it is set O_NONBLOCK and the reader starts late, so
    // the 64 KiB pipe is full and write(2) answers EAGAIN many times.
    const setNonBlocking =
      'import fcntl, os, sys; fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])';
    const out = join(dir, 'nonblocking.sg');
    const r = spawnSync(
      'bash',
      [
        '-c',
        'python3 -c "$0" "$1" "$2" encrypt "$3" -o - --threads 2 --key-file "$4" | { sleep 0.5; cat; } > "$5"; echo "exit=${PIPESTATUS[0]}"',
        setNonBlocking,
        process.execPath,
        CLI_PATH,
        join(dir, 'plain'),
        key,
        out,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('exit=0');
    await cli('decrypt', out, '-o', join(dir, 'nonblocking.out'));
    expect(readFileSync(join(dir, 'nonblocking.out')).equals(plain)).toBe(true);
  });

  it('a file of 64 MiB or more is split by default and round-trips', async () => {
    const big = join(dir, 'big');
    const data = Buffer.concat([plain, plain, plain, plain]); // 80 MiB
    writeFileSync(big, data);
    await cli('encrypt', big, '-o', join(dir, 'big.sg'));
    await cli('decrypt', join(dir, 'big.sg'), '-o', join(dir, 'big.out'));
    expect(readFileSync(join(dir, 'big.out')).equals(data)).toBe(true);
  });

  it('a tampered segment fails in a worker: exit 3, one line naming it, no output or temp file', async () => {
    const sealed = readFileSync(join(dir, 't.sg'));
    const at = sealed.length - 5 * 256 * 1024;
    sealed.writeUInt8(sealed.readUInt8(at) ^ 0x40, at);
    writeFileSync(join(dir, 'bad.sg'), sealed);
    const before = readdirSync(dir).sort();
    const r = await runCli([
      'decrypt',
      join(dir, 'bad.sg'),
      '-o',
      join(dir, 'bad.out'),
      '--threads',
      '3',
      '--key-file',
      key,
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.sg: authentication failed in segment \d+/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('decrypt -o - on threads: the plaintext once all of it verified; a tampered file releases nothing', async () => {
    const good = await runCli(['decrypt', join(dir, 't.sg'), '-o', '-', '--threads', '3', '--key-file', key]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout.equals(plain)).toBe(true);
    const sealed = readFileSync(join(dir, 't.sg'));
    const at = sealed.length - 3 * 256 * 1024; // a segment near the end: its threads' other batches verify
    sealed.writeUInt8(sealed.readUInt8(at) ^ 0x08, at);
    writeFileSync(join(dir, 'bad-out.sg'), sealed);
    const bad = await runCli([
      'decrypt',
      join(dir, 'bad-out.sg'),
      '-o',
      '-',
      '--threads',
      '3',
      '--key-file',
      key,
    ]);
    expect(bad.code).toBe(3);
    expect(bad.stdout.length, 'nothing may reach stdout').toBe(0);
    expect(bad.stderr).toMatch(/bad-out\.sg: authentication failed in segment \d+/);
  });

  it('rejects a thread count that is not a positive number in one line', async () => {
    const r = await runCli([
      'encrypt',
      join(dir, 'plain'),
      '-o',
      join(dir, 'x.sg'),
      '--threads',
      '0',
      '--key-file',
      key,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--threads must be between 1 and 64/);
  });
});
