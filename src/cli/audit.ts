/**
 * `snapshot-guard audit`: checks a Dragonfly (or Redis/Valkey) deployment against its security
 * checklist. The checks live in src/audit/; this file only runs and prints. The source settings
 * (src/config) are shared with `watch --audit-every` and `doctor`.
 */
import type { Command } from 'commander';
import { formatJson, formatTable, failed } from '../audit/report.js';
import { parseAccept, runAudit, type AuditInputs } from '../audit/run.js';
import { commandWithSettings, onSettings } from './options.js';

/** The server's configuration sources, as the settings of `audit`, `watch` and `doctor` give them. */
export interface AuditSourceSettings {
  flagfile: string[];
  cmdline?: string | undefined;
  pid?: number | undefined;
  envFile?: string | undefined;
  server: 'auto' | 'dragonfly' | 'redis';
  rpo?: number | undefined;
  accept: string[];
  dragonflyUrl?: string | undefined;
  dir?: string | undefined;
  allowGroupAccess?: boolean;
}

export function auditInputsFrom(s: AuditSourceSettings): AuditInputs {
  const accept = new Map<string, string>();
  for (const a of s.accept) {
    const [id, reason] = parseAccept(a);
    accept.set(id, reason);
  }
  return {
    flagfiles: s.flagfile.length > 0 ? s.flagfile : undefined,
    cmdline: s.cmdline,
    pid: s.pid,
    envFile: s.envFile,
    dragonflyUrl: s.dragonflyUrl,
    dir: s.dir,
    allowGroupAccess: Boolean(s.allowGroupAccess),
    server: s.server,
    rpoSeconds: s.rpo === undefined ? undefined : Math.round(s.rpo / 1000),
    accept,
  };
}

export function auditCommand(): Command {
  const cmd = commandWithSettings(
    'audit',
    "check a Dragonfly (or Redis) server's configuration against the security checklist: exposure, auth, commands, limits, TLS, snapshots, logging, flags that do not exist",
  );
  return onSettings(cmd, 'audit', async (opts) => {
    const failOn = opts.failOn; // one of the severities: the schema checked it
    const report = await runAudit(auditInputsFrom(opts));
    process.stdout.write(opts.json ? formatJson(report, failOn) : formatTable(report, failOn));
    if (failed(report, failOn)) process.exitCode = 1;
  });
}
