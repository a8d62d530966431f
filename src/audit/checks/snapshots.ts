/** Snapshot schedule and recovery point, where snapshots land, and who can read them. */
import { rejectRemoteDir } from '../../snapshots/permissions.js';
import { lookup, shown, type ServerConfig } from '../config.js';
import { longestCronGapSeconds } from '../cron.js';
import type { Finding } from '../findings.js';

export interface SnapshotCheckOptions {
  /** Recovery point objective in seconds (--rpo). */
  rpoSeconds?: number;
}

function human(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** A cron step that meets the objective, for the fix text. */
export function cronFor(seconds: number): string {
  const minutes = Math.max(1, Math.floor(seconds / 60));
  if (minutes === 1) return '* * * * *';
  if (minutes < 60) return `*/${minutes} * * * *`;
  const hours = Math.min(23, Math.floor(minutes / 60));
  return hours === 1 ? '0 * * * *' : `0 */${hours} * * *`;
}

function isRemote(dir: string): boolean {
  try {
    rejectRemoteDir(dir);
    return false;
  } catch {
    return true;
  }
}

/** Redis `save "3600 1 300 100"`: the longest interval is the worst case for a single change. */
function redisSaveGap(save: string): number | undefined {
  const n = save
    .trim()
    .split(/\s+/)
    .filter((x) => x !== '')
    .map(Number);
  const seconds = n.filter((_, i) => i % 2 === 0);
  return seconds.length === 0 ? undefined : Math.max(...seconds);
}

export function snapshotChecks(cfg: ServerConfig, opts: SnapshotCheckOptions): Finding[] {
  const out: Finding[] = [];
  const redis = cfg.kind === 'redis';
  const rpo = opts.rpoSeconds;
  const suggested = cronFor(Math.min(rpo ?? 300, 300));

  if (redis) {
    const save = lookup(cfg, 'save');
    const gap = save.state === 'set' ? redisSaveGap(save.value) : save.state === 'default' ? 3600 : undefined;
    if (save.state === 'set' && gap === undefined) {
      out.push({
        id: 'snapshots.schedule',
        severity: 'high',
        threat: 'data loss',
        evidence: `${shown(cfg, 'save', save)}: no scheduled snapshots`,
        fix: '--save "300 1" (a snapshot at most 5 minutes after any change)',
      });
    } else if (gap !== undefined && rpo !== undefined && gap > rpo) {
      out.push({
        id: 'snapshots.rpo',
        severity: 'high',
        threat: 'data loss',
        evidence: `${shown(cfg, 'save', save)}: up to ${human(gap)} of writes are lost in a crash, more than --rpo ${human(rpo)}`,
        fix: `--save "${rpo} 1"`,
      });
    }
  } else {
    const cron = lookup(cfg, 'snapshot_cron');
    if (cron.state === 'default' || (cron.state === 'set' && cron.value.trim() === '')) {
      out.push({
        id: 'snapshots.schedule',
        severity: 'high',
        threat: 'data loss',
        evidence: `${shown(cfg, 'snapshot_cron', cron)}: Dragonfly saves only on shutdown or an explicit SAVE, so a crash loses every write since the start`,
        fix: `--snapshot_cron="${suggested}"`,
      });
    } else if (cron.state === 'set') {
      let gap: number | undefined;
      let problem: string | undefined;
      try {
        gap = longestCronGapSeconds(cron.value);
        if (gap === undefined) problem = 'never runs';
      } catch (err) {
        problem = `cannot be read: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (problem) {
        out.push({
          id: 'snapshots.schedule',
          severity: 'high',
          threat: 'data loss',
          evidence: `${shown(cfg, 'snapshot_cron', cron)} ${problem}`,
          fix: `--snapshot_cron="${suggested}" (crontab syntax: minute hour day month weekday)`,
        });
      } else if (gap !== undefined && rpo !== undefined && gap > rpo) {
        out.push({
          id: 'snapshots.rpo',
          severity: 'high',
          threat: 'data loss',
          evidence: `${shown(cfg, 'snapshot_cron', cron)}: up to ${human(gap)} between snapshots, more than --rpo ${human(rpo)} (Dragonfly has no AOF: between snapshots only a replica keeps writes)`,
          fix: `--snapshot_cron="${cronFor(rpo)}", and a replica (--replicaof on a second server) if even that loses too much`,
        });
      }
    }
  }

  const dir = lookup(cfg, 'dir');
  if (dir.state === 'default') {
    out.push({
      id: 'snapshots.dir-unset',
      severity: 'medium',
      threat: 'data breach',
      evidence: `${shown(cfg, 'dir', dir)}: snapshots land in the server's working directory, mixed with other files and with whatever permissions it has`,
      fix: '--dir=/var/lib/dragonfly/snapshots (a directory of its own, mode 0700 or 2770 with snapshot-guard in its group)',
    });
  } else if (dir.state === 'set' && isRemote(dir.value)) {
    out.push({
      id: 'snapshots.object-storage',
      severity: 'medium',
      threat: 'data breach',
      evidence: `${shown(cfg, 'dir', dir)}: snapshots go straight to object storage, so no local file exists for snapshot-guard to encrypt; only the bucket's own encryption and access policy protect them`,
      fix: '--dir=<a local directory> watched by snapshot-guard (which can then store sealed sets off the host), or enforce bucket encryption with your own key and a narrow bucket policy',
    });
  }

  if (!redis) {
    const name = lookup(cfg, 'dbfilename');
    if (name.state === 'set' && !/\{timestamp\}/.test(name.value)) {
      out.push({
        id: 'snapshots.dbfilename',
        severity: 'medium',
        threat: 'data loss',
        evidence: `${shown(cfg, 'dbfilename', name)} has no {timestamp}: every save replaces the previous snapshot, so a bad save leaves nothing older on the host`,
        fix: '--dbfilename=dump-{timestamp}',
      });
    }
  }

  const facts = cfg.dir;
  if (facts) {
    if (facts.error) {
      out.push({
        id: 'snapshots.dir-unreadable',
        severity: 'medium',
        threat: 'data breach',
        evidence: `--dir ${facts.path}: ${facts.error}`,
        fix: `run the audit where it can see ${facts.path} (as the server's user, or root)`,
      });
    }
    for (const w of facts.warnings) {
      const others = /accessible by others/.test(w);
      const files = /world-readable/.test(w);
      const sealed = /^--out /.test(w);
      if (sealed) continue;
      out.push({
        id: files ? 'snapshots.files-readable' : 'snapshots.dir-mode',
        severity: files || others ? 'high' : 'low',
        threat: 'data breach',
        evidence: w.replace(/; fix: .*$/, ''),
        fix: /; fix: (.*)$/.exec(w)?.[1] ?? `chmod 700 ${facts.path}`,
      });
    }
    if (
      cfg.processUid !== undefined &&
      facts.uid !== undefined &&
      facts.uid !== cfg.processUid &&
      facts.uid !== 0
    ) {
      out.push({
        id: 'snapshots.dir-owner',
        severity: 'medium',
        threat: 'data breach',
        evidence: `--dir ${facts.path} belongs to ${facts.owner ?? facts.uid} but the server runs as uid ${cfg.processUid}: another account controls its snapshots`,
        fix: `chown <the server's user>:<its group> ${facts.path}`,
      });
    }
    if (cfg.processUid === 0) {
      out.push({
        id: 'process.root',
        severity: 'medium',
        threat: 'unauthorised access',
        evidence: 'the server runs as root: a flaw in it owns the host, and its snapshots belong to root',
        fix: 'run it as its own user (systemd User=dragonfly; Kubernetes runAsNonRoot)',
      });
    }
  }
  return out;
}
