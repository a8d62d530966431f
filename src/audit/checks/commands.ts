/** Commands that wipe, reconfigure or stop the server, reachable by every client. */
import { lookup, type ServerConfig } from '../config.js';
import { canonicalName } from '../flags.js';
import type { Finding } from '../findings.js';
import { hasPassword } from './exposure.js';

export const DANGEROUS_COMMANDS = [
  'FLUSHALL',
  'FLUSHDB',
  'CONFIG',
  'DEBUG',
  'SHUTDOWN',
  'SAVE',
  'BGSAVE',
  'REPLICAOF',
  'SLAVEOF',
] as const;

/** Commands the flags restrict (Dragonfly: admin port only) or rename/disable. */
function coveredByFlags(cfg: ServerConfig): Set<string> {
  const covered = new Set<string>();
  const restricted = lookup(cfg, 'restricted_commands');
  if (restricted.state === 'set')
    for (const c of restricted.value.split(/[\s,]+/)) if (c) covered.add(c.toUpperCase());
  for (const f of cfg.flags) {
    if (canonicalName(f.written, cfg.kind) !== 'rename_command') continue;
    // Dragonfly: --rename_command=FLUSHALL=,CONFIG=cfg_x; Redis: --rename-command FLUSHALL ""
    for (const pair of f.value.split(',')) {
      const name = pair.split(/[=\s]/)[0]?.trim();
      if (name) covered.add(name.toUpperCase());
    }
  }
  return covered;
}

export function commandChecks(cfg: ServerConfig): Finding[] {
  const live = cfg.live?.commandAvailable;
  if (!cfg.flagsKnown && (!live || live.size === 0)) return [];
  const covered = coveredByFlags(cfg);
  const open = DANGEROUS_COMMANDS.filter((c) => {
    if (covered.has(c)) return false;
    // A live server that does not know the command (renamed or restricted) settles it.
    const available = live?.get(c);
    return available !== false;
  });
  if (open.length === 0) return [];
  const aclLookup = lookup(cfg, 'aclfile');
  const acl = aclLookup.state === 'set' && aclLookup.value.trim() !== '' ? aclLookup : undefined;
  const password = hasPassword(cfg);
  const redis = cfg.kind === 'redis';
  const list = open.map((c) => c.toLowerCase()).join(',');
  return [
    {
      id: 'commands.dangerous',
      severity: acl ? 'low' : password === false ? 'high' : 'medium',
      threat: 'command abuse',
      evidence: `${open.join(', ')} ${open.length === 1 ? 'is' : 'are'} open to every client (neither --${redis ? 'rename-command' : 'restricted_commands'} nor ${redis ? 'an ACL' : '--rename_command'} covers ${open.length === 1 ? 'it' : 'them'}${live?.size ? ', and the live server still knows them' : ''})${acl ? '; an ACL file is set: make sure it denies them to application users' : ''}`,
      fix: redis
        ? `--rename-command <CMD> "" for each of ${open.join(', ')} (or deny them in the ACL: -@dangerous)`
        : `--restricted_commands=${list} (then only the --admin_port accepts them; keep --admin_bind=127.0.0.1)`,
    },
  ];
}
