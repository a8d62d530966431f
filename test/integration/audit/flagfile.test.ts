/**
 * `snapshot-guard audit` on flag files and command lines: the analyses' configurations give exactly the
 * expected findings (each flag Dragonfly does not have, with its real replacement); a hardened file
 * gives none at or above low; output, --accept, --fail-on and usage errors.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runCli } from '../../helpers/cli.js';
import { auditJson, byId, fixture, idsOf } from '../../helpers/audit.js';

describe('audit --flagfile', () => {
  it("the analyses' current configuration: the flags that do not exist, no schedule, open commands, no password", async () => {
    const { r, report } = await auditJson(['--flagfile', fixture('analyses-current.flags')]);
    expect(r.code, r.stderr).toBe(1);
    expect(report.server).toBe('dragonfly');
    expect(idsOf(report.findings)).toEqual([
      'auth.password medium', // bound to loopback: every local user can connect
      'commands.dangerous high',
      'flag.loglevel high',
      'flag.maxmemory-policy high',
      'flag.snapshot_interval high',
      'resources.maxclients low',
      'snapshots.schedule high', // the non-existent --snapshot_interval schedules nothing
    ]);
    const f = report.findings;
    expect(byId(f, 'flag.snapshot_interval').fix).toBe('--snapshot_cron="*/5 * * * *" (crontab syntax)');
    expect(byId(f, 'flag.snapshot_interval').evidence).toMatch(
      /analyses-current\.flags:4\): Dragonfly has no such flag and refuses to start/,
    );
    expect(byId(f, 'flag.maxmemory-policy').fix).toMatch(/^--cache_mode=true/);
    expect(byId(f, 'flag.maxmemory-policy').threat).toBe('denial of service');
    expect(byId(f, 'flag.loglevel').fix).toMatch(/^--minloglevel=0 .*--v for verbose, --logtostderr/);
    expect(byId(f, 'snapshots.schedule').fix).toBe('--snapshot_cron="*/5 * * * *"');
    expect(byId(f, 'commands.dangerous').fix).toMatch(
      /^--restricted_commands=flushall,flushdb,config,debug,shutdown,/,
    );
    expect(byId(f, 'auth.password').fix).toMatch(/DFLY_PASSWORD/);
  });

  it('the same configuration as one command line gives the same findings', async () => {
    const line = readFileSync(fixture('analyses-current.flags'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('--'))
      .join(' ');
    const a = await auditJson(['--cmdline', `dragonfly ${line}`]);
    const b = await auditJson(['--flagfile', fixture('analyses-current.flags')]);
    expect(idsOf(a.report.findings)).toEqual(idsOf(b.report.findings));
    expect(byId(a.report.findings, 'flag.snapshot_interval').evidence).toContain('(--cmdline)');
  });

  it('every flag of the analyses that Dragonfly lacks is reported with what Dragonfly really has', async () => {
    const { r, report } = await auditJson(['--flagfile', fixture('analyses-recommended.flags')]);
    expect(r.code).toBe(1);
    const fixes = Object.fromEntries(
      report.findings.filter((f) => f.id.startsWith('flag.')).map((f) => [f.id, f.fix]),
    );
    expect(Object.keys(fixes).sort()).toEqual([
      'flag.aof_enabled',
      'flag.aof_fsync',
      'flag.aof_rewrite_incremental_fsync',
      'flag.loglevel',
      'flag.maxmemory-policy',
      'flag.protected-commands',
      'flag.slowlog-log-slower-than',
      'flag.snapshot_interval',
    ]);
    expect(fixes['flag.snapshot_interval']).toBe('--snapshot_cron="* * * * *" (crontab syntax)');
    for (const aof of ['flag.aof_enabled', 'flag.aof_fsync', 'flag.aof_rewrite_incremental_fsync'])
      expect(fixes[aof]).toMatch(
        /Dragonfly has no AOF: its recovery point is the snapshot schedule \(--snapshot_cron\) plus replication/,
      );
    expect(fixes['flag.protected-commands']).toBe(
      '--restricted_commands=flushall,flushdb,config,debug,shutdown (or --rename_command)',
    );
    expect(fixes['flag.slowlog-log-slower-than']).toBe(
      "--slowlog_log_slower_than=10000 (microseconds; Dragonfly's flags use underscores)",
    );
    // --protected-commands does not exist, so nothing restricts the commands either.
    expect(idsOf(report.findings)).toEqual(
      [
        'auth.password medium',
        'commands.dangerous high',
        'snapshots.schedule high',
        ...Object.keys(fixes).map((id) => `${id} high`),
      ].sort(),
    );
  });

  it('a hardened flag file (password from the environment) gives no finding at or above low, exit 0', async () => {
    const args = [
      '--flagfile',
      fixture('hardened.flags'),
      '--env-file',
      fixture('hardened.env'),
      '--rpo',
      '5m',
    ];
    const { r, report } = await auditJson([...args, '--fail-on', 'low']);
    expect(r.code, JSON.stringify(report.findings)).toBe(0);
    expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    const table = await runCli(['audit', ...args]);
    expect(table.code).toBe(0);
    expect(table.stdout.toString()).toMatch(
      /no findings\n\nsummary: 0 critical, 0 high, 0 medium, 0 low, 0 info; --fail-on high: pass\n$/,
    );
    // The password itself never appears in the output.
    expect(table.stdout.toString() + JSON.stringify(report)).not.toContain('correct-horse');
  });

  it('without the password in the environment, the hardened file lacks authentication', async () => {
    const { report } = await auditJson(['--flagfile', fixture('hardened.flags')]);
    expect(idsOf(report.findings)).toEqual(['auth.password medium']);
  });

  it('--rpo: a schedule with longer gaps than the objective is high', async () => {
    const { r, report } = await auditJson([
      '--cmdline',
      '--bind=127.0.0.1 --dir=/d --snapshot_cron="0 */6 * * *" --maxmemory=1gb --maxclients=100 --requirepass=x --restricted_commands=flushall,flushdb,config,debug,shutdown,save,bgsave,replicaof,slaveof',
      '--rpo',
      '1h',
    ]);
    expect(r.code).toBe(1);
    expect(idsOf(report.findings)).toEqual(['snapshots.rpo high']);
    expect(byId(report.findings, 'snapshots.rpo').evidence).toMatch(
      /up to 6h between snapshots, more than --rpo 1h/,
    );
    expect(byId(report.findings, 'snapshots.rpo').fix).toMatch(/^--snapshot_cron="0 \* \* \* \*"/);
  });

  it('network, TLS, admin port, dbfilename, object storage and slow log', async () => {
    const { report } = await auditJson([
      '--cmdline',
      'dragonfly --bind 0.0.0.0 --admin_port=9999 --admin_nopass --dir s3://bucket/snaps --dbfilename=dump --snapshot_cron=*/5_*_*_*_* --slowlog_log_slower_than=-1 --replicaof=10.0.0.1:6379',
    ]);
    expect(idsOf(report.findings)).toEqual([
      'auth.password critical',
      'commands.dangerous high',
      'logging.slowlog low',
      'network.admin-port critical',
      'network.bind high',
      'resources.maxclients low',
      'resources.maxmemory medium',
      'snapshots.dbfilename medium',
      'snapshots.object-storage medium',
      'snapshots.schedule high', // "*/5_*_*_*_*" cannot be read
      'tls.client high',
      'tls.replication medium',
    ]);
  });

  it('--accept silences a finding on purpose and shows it with its reason', async () => {
    const args = [
      '--flagfile',
      fixture('hardened.flags'),
      '--accept',
      'auth.password=only the local app user can log in on this host',
    ];
    const { r, report } = await auditJson(args);
    expect(r.code).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.accepted.map((a) => [a.id, a.reason])).toEqual([
      ['auth.password', 'only the local app user can log in on this host'],
    ]);
    const table = (await runCli(['audit', ...args])).stdout.toString();
    expect(table).toMatch(
      /ACCEPTED \(1, silenced with --accept\)\n {2}auth\.password +medium, accepted because: only the local app user/,
    );
    expect(table).toMatch(/0 low, 0 info; 1 accepted/);
  });

  it('the table groups by severity, one line per finding with its fix; --fail-on decides the exit code', async () => {
    const r = await runCli(['audit', '--flagfile', fixture('analyses-current.flags')]);
    const out = r.stdout.toString();
    expect(out.indexOf('HIGH (5)')).toBeLessThan(out.indexOf('MEDIUM (1)'));
    expect(out.indexOf('MEDIUM (1)')).toBeLessThan(out.indexOf('LOW (1)'));
    expect(out).toMatch(
      /^ {2}flag\.snapshot_interval +\[data loss\] .* → fix: --snapshot_cron="\*\/5 \* \* \* \*"/m,
    );
    expect(
      (await runCli(['audit', '--flagfile', fixture('analyses-current.flags'), '--fail-on', 'critical']))
        .code,
    ).toBe(0);
  });

  it('usage errors: one line, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [[], /nothing to audit: give --flagfile, --cmdline, --pid, --dragonfly-url and\/or --dir/],
      [['--flagfile', '/nonexistent/df.flags'], /cannot read --flagfile \/nonexistent\/df\.flags: ENOENT/],
      [['--cmdline', '--bind="127.0.0.1'], /cannot read --cmdline: unbalanced " quote/],
      [['--cmdline', '--bind=1', '--accept', 'network.nope=x'], /--accept network\.nope: no such check/],
      [['--cmdline', '--bind=1', '--accept', 'auth.password'], /--accept needs a reason/],
      [['--cmdline', '--bind=1', '--rpo', 'soon'], /--rpo must be a duration/],
      [['--pid', '999999999'], /cannot read \/proc\/999999999\/cmdline: no such process/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['audit', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const bad = await runCli(['audit', '--cmdline', '--bind=1', '--fail-on', 'severe']);
    expect(bad.code).toBe(2);
  });
});
