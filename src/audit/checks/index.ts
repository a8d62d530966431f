/** Every check, in report order. */
import type { ServerConfig } from '../config.js';
import type { Finding } from '../findings.js';
import { commandChecks } from './commands.js';
import { loggingChecks } from './logging.js';
import { networkChecks } from './network.js';
import { nonexistentFlagChecks } from './nonexistent-flags.js';
import { resourceChecks } from './resources.js';
import { snapshotChecks, type SnapshotCheckOptions } from './snapshots.js';

export { NONEXISTENT_FLAGS } from './nonexistent-flags.js';

export function runChecks(cfg: ServerConfig, opts: SnapshotCheckOptions): Finding[] {
  const findings = [
    ...nonexistentFlagChecks(cfg),
    ...networkChecks(cfg),
    ...commandChecks(cfg),
    ...resourceChecks(cfg),
    ...snapshotChecks(cfg, opts),
    ...loggingChecks(cfg),
  ];
  if (cfg.live && !cfg.live.reachable) {
    findings.push({
      id: 'live.unreachable',
      severity: 'high',
      threat: 'undetected attacks',
      evidence: `${cfg.live.url}: ${cfg.live.error ?? 'no answer'}; the live checks did not run`,
      fix: 'check --dragonfly-url (address, password) and that the server is running',
    });
  }
  return findings;
}

/** Ids of every check, for --accept validation and bounded metric labels (plus flag.<name>). */
export const CHECK_IDS = [
  'network.bind',
  'network.admin-port',
  'auth.password',
  'auth.live-unauthenticated',
  'tls.client',
  'tls.replication',
  'commands.dangerous',
  'resources.maxmemory',
  'resources.maxclients',
  'resources.memory-backed-dir',
  'snapshots.schedule',
  'snapshots.rpo',
  'snapshots.dir-unset',
  'snapshots.object-storage',
  'snapshots.dbfilename',
  'snapshots.dir-unreadable',
  'snapshots.dir-mode',
  'snapshots.files-readable',
  'snapshots.dir-owner',
  'process.root',
  'logging.slowlog',
  'live.unreachable',
] as const;
