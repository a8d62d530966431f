/**
 * `snapshot-guard audit`: checks a Dragonfly (or Redis/Valkey) deployment against its security
 * checklist. The checks live in src/audit/; this file only parses, runs and prints. The source
 * options are shared with `watch --audit-every` and `doctor`.
 */
import { Command, Option } from 'commander';
import { UserError } from '../errors.js';
import { isSeverity } from '../audit/findings.js';
import { formatJson, formatTable, failed } from '../audit/report.js';
import { parseAccept, runAudit, type AuditInputs } from '../audit/run.js';
import type { ParsedOptions } from './key-options.js';
import { parseDuration, parseIntegerIn } from './common.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The server's configuration sources; `dir`/`url` are false for commands that already have them. */
export function addAuditSourceOptions(cmd: Command, own: { dirAndUrl: boolean }): Command {
  cmd
    .addOption(
      new Option('--flagfile <path>', "the server's Dragonfly --flagfile (repeatable)").argParser(collect),
    )
    .addOption(new Option('--cmdline <args>', "the server's arguments as one string"))
    .addOption(
      new Option(
        '--pid <pid>',
        'a running server: reads /proc/PID/cmdline, its environment and its --flagfile',
      ).argParser(parseIntegerIn('--pid', 1, 2 ** 31)),
    )
    .addOption(
      new Option('--env-file <path>', "the server's environment (KEY=value lines), e.g. for DFLY_PASSWORD"),
    )
    .addOption(
      new Option('--server <kind>', 'what the server is')
        .choices(['auto', 'dragonfly', 'redis'])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--rpo <duration>',
        'recovery point objective: flag a snapshot schedule with longer gaps, e.g. 5m',
      ).argParser(parseDuration('--rpo')),
    )
    .addOption(
      new Option(
        '--accept <check=reason>',
        'silence a finding on purpose, with the reason (repeatable; shown in the output)',
      ).argParser(collect),
    );
  if (own.dirAndUrl) {
    cmd
      .addOption(
        new Option(
          '--dragonfly-url <url>',
          'redis://[:password@]host:port for live probes (NOAUTH, INFO, CONFIG GET)',
        ).env('SNAPSHOT_GUARD_DRAGONFLY_URL'),
      )
      .addOption(
        new Option('--dir <dir>', "the server's snapshot directory: owner, mode, file modes, memory-backed"),
      )
      .addOption(
        new Option(
          '--allow-group-access',
          "accept a group-accessible --dir (snapshot-guard in the server's group)",
        ),
      );
  }
  return cmd;
}

export function auditInputsFrom(opts: ParsedOptions): AuditInputs {
  const accept = new Map<string, string>();
  for (const a of (opts.accept as string[] | undefined) ?? []) {
    const [id, reason] = parseAccept(a);
    accept.set(id, reason);
  }
  return {
    flagfiles: opts.flagfile as string[] | undefined,
    cmdline: opts.cmdline as string | undefined,
    pid: opts.pid as number | undefined,
    envFile: opts.envFile as string | undefined,
    dragonflyUrl: opts.dragonflyUrl as string | undefined,
    dir: opts.dir as string | undefined,
    allowGroupAccess: Boolean(opts.allowGroupAccess),
    server: opts.server as AuditInputs['server'],
    rpoSeconds: opts.rpo === undefined ? undefined : Math.round((opts.rpo as number) / 1000),
    accept,
  };
}

export function auditCommand(): Command {
  const cmd = new Command('audit').description(
    "check a Dragonfly (or Redis) server's configuration against the security checklist: exposure, auth, commands, limits, TLS, snapshots, logging, flags that do not exist",
  );
  addAuditSourceOptions(cmd, { dirAndUrl: true })
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity is open')
        .choices(['info', 'low', 'medium', 'high', 'critical'])
        .default('high'),
    )
    .addOption(new Option('--json', 'print JSON instead of the table'));
  return cmd.action(async (opts: ParsedOptions) => {
    const failOn = opts.failOn as string;
    if (!isSeverity(failOn)) throw new UserError(`--fail-on ${failOn}: not a severity`, 2);
    const report = await runAudit(auditInputsFrom(opts));
    process.stdout.write(opts.json ? formatJson(report, failOn) : formatTable(report, failOn));
    if (failed(report, failOn)) process.exitCode = 1;
  });
}
