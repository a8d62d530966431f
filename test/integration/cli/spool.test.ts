/**
 * `decrypt -o -` holds the plaintext in a private spool under TMPDIR until the whole input has
 * authenticated. When the spool cannot be made or fills up, the command must fail in one line that
 * names TMPDIR and what to do, release nothing on stdout, and leave nothing behind: on a real 1 MiB
 * tmpfs (ENOSPC), a read-only one (EROFS), and a TMPDIR that does not exist.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { canMount } from '../../helpers/mount.js';

let dir: string;
let key: string;
let sealed: string;
const mounts: string[] = [];

function tmpfs(name: string, options: string): string {
  const at = join(dir, name);
  mkdirSync(at, { mode: 0o700 });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at]);
  mounts.push(at);
  return at;
}

const decryptToStdout = (tmp: string): Promise<CliResult> =>
  runCli(['decrypt', sealed, '-o', '-', '--key-file', key], { env: { ...process.env, TMPDIR: tmp } });

function expectOneLineRefusal(r: CliResult, pattern: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stdout.length, 'nothing may reach stdout').toBe(0);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/unexpected error|^\s+at /m);
  expect(r.stderr).toMatch(pattern);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-spool-'));
  key = join(dir, 'k');
  expect((await runCli(['keygen', '--out', key])).code).toBe(0);
  const plain = join(dir, 'plain');
  writeFileSync(plain, randomBytes(4 * 1024 * 1024));
  sealed = join(dir, 'plain.sg');
  const e = await runCli(['encrypt', plain, '-o', sealed, '--key-file', key]);
  expect(e.code, e.stderr).toBe(0);
});
afterEach(() => {
  for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('decrypt -o - and its spool', () => {
  it('a TMPDIR that does not exist: one line naming it', async () => {
    const missing = join(dir, 'no-such-dir');
    const r = await decryptToStdout(missing);
    expectOneLineRefusal(r, new RegExp(`the directory ${missing} does not exist`));
  });

  it.skipIf(!canMount())(
    'a full TMPDIR (real tmpfs, ENOSPC): one line, nothing released, nothing left',
    async () => {
      const small = tmpfs('small', 'size=1m,mode=0700');
      const r = await decryptToStdout(small);
      expectOneLineRefusal(
        r,
        new RegExp(`no space in ${small} to hold the plaintext until it is authenticated`),
      );
      expect(readdirSync(small)).toEqual([]);
    },
  );

  it.skipIf(!canMount())('a read-only TMPDIR (EROFS): one line naming it', async () => {
    const ro = tmpfs('ro', 'size=1m,mode=0700,ro');
    const r = await decryptToStdout(ro);
    expectOneLineRefusal(r, new RegExp(`cannot create a private temporary file in ${ro} \\(EROFS\\)`));
  });
});
