/**
 * Flags that Dragonfly does not have (many circulate in security guides written for Redis). Dragonfly
 * refuses to start on an unknown flag, so each one is reported with what Dragonfly really has.
 */
import type { ServerConfig } from '../config.js';
import type { FlagValue } from '../flags.js';
import type { Finding, Threat } from '../findings.js';
import { cronFor } from './snapshots.js';

const NO_AOF =
  'Dragonfly has no AOF: its recovery point is the snapshot schedule (--snapshot_cron) plus replication (a replica started with --replicaof)';

interface Replacement {
  threat: Threat;
  fix: (f: FlagValue) => string;
}

const EVICTING = /^(allkeys|volatile)-/;

export const NONEXISTENT_FLAGS: Record<string, Replacement> = {
  snapshot_interval: {
    threat: 'data loss',
    fix: (f) => `--snapshot_cron="${cronFor(Number(f.value) || 300)}" (crontab syntax)`,
  },
  aof_enabled: { threat: 'data loss', fix: () => `remove it; ${NO_AOF}` },
  aof_fsync: { threat: 'data loss', fix: () => `remove it; ${NO_AOF}` },
  aof_rewrite_incremental_fsync: { threat: 'data loss', fix: () => `remove it; ${NO_AOF}` },
  appendonly: { threat: 'data loss', fix: () => `remove it; ${NO_AOF}` },
  appendfsync: { threat: 'data loss', fix: () => `remove it; ${NO_AOF}` },
  save: { threat: 'data loss', fix: () => '--snapshot_cron="*/5 * * * *" (crontab syntax)' },
  'protected-commands': {
    threat: 'command abuse',
    fix: (f) => `--restricted_commands=${f.value.replace(/\s+/g, '').toLowerCase()} (or --rename_command)`,
  },
  protected_commands: {
    threat: 'command abuse',
    fix: (f) => `--restricted_commands=${f.value.replace(/\s+/g, '').toLowerCase()} (or --rename_command)`,
  },
  'rename-command': {
    threat: 'command abuse',
    fix: () => '--rename_command=FLUSHALL=,CONFIG= (comma-separated OLD=NEW pairs; empty disables)',
  },
  'maxmemory-policy': {
    threat: 'denial of service',
    fix: (f) =>
      EVICTING.test(f.value.trim())
        ? '--cache_mode=true (Dragonfly evicts when it reaches --maxmemory only in cache mode)'
        : 'remove it (without --cache_mode Dragonfly does not evict: writes fail at --maxmemory)',
  },
  maxmemory_policy: {
    threat: 'denial of service',
    fix: () => '--cache_mode=true (Dragonfly evicts when it reaches --maxmemory only in cache mode)',
  },
  loglevel: {
    threat: 'undetected attacks',
    fix: (f) =>
      `--minloglevel=${/^(warning|warn)$/i.test(f.value) ? 1 : 0}${/^(verbose|debug)$/i.test(f.value) ? ' --v=1' : ''} (Dragonfly logs with glog: --minloglevel 0=INFO 1=WARNING 2=ERROR, --v for verbose, --logtostderr)`,
  },
  'slowlog-log-slower-than': {
    threat: 'undetected attacks',
    fix: (f) => `--slowlog_log_slower_than=${f.value} (microseconds; Dragonfly's flags use underscores)`,
  },
  'protected-mode': {
    threat: 'unauthorised access',
    fix: () => 'remove it; use --bind=127.0.0.1 and a password (DFLY_PASSWORD or --requirepass)',
  },
};

export function nonexistentFlagChecks(cfg: ServerConfig): Finding[] {
  if (cfg.kind !== 'dragonfly') return [];
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const f of cfg.flags) {
    const known = NONEXISTENT_FLAGS[f.written];
    const dashed = !known && f.written.includes('-');
    if ((!known && !dashed) || seen.has(f.written)) continue;
    seen.add(f.written);
    out.push({
      id: `flag.${f.written}`,
      severity: 'high',
      threat: known?.threat ?? 'denial of service',
      evidence: `--${f.written}${f.value === 'true' ? '' : `=${f.value}`} (${f.source}): Dragonfly has no such flag and refuses to start with it`,
      fix: known
        ? known.fix(f)
        : `--${f.written.replace(/-/g, '_')}=${f.value} (Dragonfly's flags use underscores)`,
    });
  }
  return out;
}
