/**
 * Logs under systemd, with real processes whose stdout and stderr are real files: when JOURNAL_STREAM
 * names the stream (device:inode), every line carries its sd-daemon priority prefix (`<3>` for errors),
 * which journald turns into the entry's priority; otherwise lines are unchanged.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_PATH, PROJECT_ROOT } from '../../helpers/cli.js';

/** Runs `node -e script` (ES module) with stdout and stderr going to real files; returns both texts. */
function runWithFiles(
  args: string[],
  env: (out: { stdout: string; stderr: string }) => Record<string, string>,
): { stdout: string; stderr: string; code: number | null } {
  const dir = fs.mkdtempSync(join(tmpdir(), 'sg-journal-'));
  try {
    const paths = { stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr') };
    const fds = { stdout: fs.openSync(paths.stdout, 'w'), stderr: fs.openSync(paths.stderr, 'w') };
    const ids = (fd: number) => {
      const st = fs.fstatSync(fd, { bigint: true });
      return `${st.dev}:${st.ino}`;
    };
    const r = spawnSync(process.execPath, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env({ stdout: ids(fds.stdout), stderr: ids(fds.stderr) }) },
      stdio: ['ignore', fds.stdout, fds.stderr],
    });
    fs.closeSync(fds.stdout);
    fs.closeSync(fds.stderr);
    return {
      stdout: fs.readFileSync(paths.stdout, 'utf8'),
      stderr: fs.readFileSync(paths.stderr, 'utf8'),
      code: r.status,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const LOG_EVERY_LEVEL = [
  '--input-type=module',
  '-e',
  `const { createLogger } = await import('./dist/observe/logger.js');
   const log = createLogger('trace');
   log.fatal('f'); log.error('e'); log.warn('w'); log.info('i'); log.debug('d'); log.trace('t');`,
];

describe('under systemd (JOURNAL_STREAM)', () => {
  it('every log line carries its journal priority: errors reach `journalctl -p err`', () => {
    const r = runWithFiles(LOG_EVERY_LEVEL, (ids) => ({ JOURNAL_STREAM: ids.stdout }));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['<2>', '<3>', '<4>', '<6>', '<7>', '<7>']);
    expect(JSON.parse(lines[1]?.slice(3) ?? '')).toMatchObject({ level: 50, msg: 'e' });
  });

  it('adds no prefix when stdout is not the journal stream (redirected, or no systemd)', () => {
    for (const env of [(ids: { stderr: string }) => ({ JOURNAL_STREAM: ids.stderr }), () => ({})]) {
      const r = runWithFiles(LOG_EVERY_LEVEL, env);
      expect(
        r.stdout
          .trimEnd()
          .split('\n')
          .map((l) => l.slice(0, 9)),
      ).toEqual(Array.from({ length: 6 }, () => '{"level":'));
    }
  });

  it("the CLI's one-line errors on stderr reach the journal as errors", () => {
    const cli = [CLI_PATH, 'list', '--from', join(tmpdir(), 'sg-journal-no-such-dir')];
    const journal = runWithFiles(cli, (ids) => ({ JOURNAL_STREAM: ids.stderr }));
    expect(journal.code).toBe(1);
    expect(journal.stderr).toMatch(/^<3>snapshot-guard: .*sg-journal-no-such-dir does not exist/);
    const plain = runWithFiles(cli, () => ({}));
    expect(plain.stderr).toMatch(/^snapshot-guard: /);
  });
});
