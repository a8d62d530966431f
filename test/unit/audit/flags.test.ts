/** Reading flags as Dragonfly (Abseil) and Redis read them. */
import { describe, expect, it } from 'vitest';
import { parseArgs, parseFlagfile, splitCommandLine } from '../../../src/audit/flags.js';

const pairs = (flags: { written: string; value: string }[]) => flags.map((f) => [f.written, f.value]);

describe('flags', () => {
  it('splits a command line like a shell, quotes included', () => {
    expect(splitCommandLine(`dragonfly --snapshot_cron="*/5 * * * *" --dir '/a b' --x=\\"y`)).toEqual([
      'dragonfly',
      '--snapshot_cron=*/5 * * * *',
      '--dir',
      '/a b',
      '--x="y',
    ]);
    expect(() => splitCommandLine('--bind="1')).toThrow(/unbalanced " quote/);
  });

  it('reads --name=value, --name value, -name, lone booleans, negative numbers, and stops at --', () => {
    const positionals: string[] = [];
    const flags = parseArgs(
      [
        '/etc/redis.conf',
        '--bind',
        '0.0.0.0',
        '-port=7',
        '--logtostderr',
        '--slowlog_log_slower_than',
        '-1',
        '--save',
        '',
        '--',
        '--ignored',
      ],
      'x',
      positionals,
    );
    expect(pairs(flags)).toEqual([
      ['bind', '0.0.0.0'],
      ['port', '7'],
      ['logtostderr', 'true'],
      ['slowlog_log_slower_than', '-1'],
      ['save', ''],
    ]);
    expect(positionals).toEqual(['/etc/redis.conf']);
  });

  it('reads a flag file: one flag a line, comments, values with spaces, line numbers in the source', () => {
    const flags = parseFlagfile(
      '# comment\n\n--snapshot_cron=*/5 * * * *\n  --snapshot_interval 300\n',
      '/f',
    );
    expect(pairs(flags)).toEqual([
      ['snapshot_cron', '*/5 * * * *'],
      ['snapshot_interval', '300'],
    ]);
    expect(flags.map((f) => f.source)).toEqual(['/f:3', '/f:4']);
  });
});
