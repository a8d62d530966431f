/** Memory and connection limits (denial of service), and snapshots that live in memory. */
import { lookup, parseBytes, shown, type ServerConfig } from '../config.js';
import type { Finding } from '../findings.js';

function gib(n: number): string {
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function resourceChecks(cfg: ServerConfig): Finding[] {
  const out: Finding[] = [];
  const redis = cfg.kind === 'redis';
  const maxmemory = lookup(cfg, 'maxmemory');
  const limit = maxmemory.state === 'set' ? parseBytes(maxmemory.value) : undefined;
  if (maxmemory.state === 'default' || (maxmemory.state === 'set' && limit === 0)) {
    out.push({
      id: 'resources.maxmemory',
      severity: 'medium',
      threat: 'denial of service',
      evidence: `${shown(cfg, 'maxmemory', maxmemory)}: ${redis ? 'Redis grows until the kernel kills it' : 'Dragonfly sizes itself to all the memory of the machine or container'}, and a flood of writes takes the host down with it`,
      fix: '--maxmemory=<about 75% of the memory you give it, e.g. 3gb for a 4 GiB limit>',
    });
  }

  const defaultClients = redis ? 10000 : 64000;
  const maxclients = lookup(cfg, 'maxclients');
  if (
    maxclients.state === 'default' ||
    (maxclients.state === 'set' && Number(maxclients.value) >= defaultClients)
  ) {
    out.push({
      id: 'resources.maxclients',
      severity: 'low',
      threat: 'denial of service',
      evidence: `${shown(cfg, 'maxclients', maxclients)}: left at the default ${defaultClients} connections, far more than an application needs`,
      fix: '--maxclients=<a few times the connections your clients open, e.g. 1000>',
    });
  }

  const dir = cfg.dir;
  if (dir?.memoryBacked) {
    const fs = dir.fsBytes;
    if (limit === undefined || limit === 0) {
      out.push({
        id: 'resources.memory-backed-dir',
        severity: 'medium',
        threat: 'denial of service',
        evidence: `--dir ${dir.path} is memory-backed (tmpfs${fs ? `, ${gib(fs)}` : ''}) and the memory limit is unknown: a snapshot as large as the dataset takes the same memory again`,
        fix: '--maxmemory below the size of the memory-backed --dir, and leave room for both in the memory limit',
      });
    } else if (fs !== undefined && fs < limit) {
      out.push({
        id: 'resources.memory-backed-dir',
        severity: 'high',
        threat: 'data loss',
        evidence: `--dir ${dir.path} is memory-backed with ${gib(fs)}, less than ${shown(cfg, 'maxmemory', maxmemory)} (${gib(limit)}): a full dataset's snapshot does not fit, and saving fails`,
        fix: `make the memory-backed --dir at least ${gib(limit)} (Kubernetes: emptyDir sizeLimit), or lower --maxmemory`,
      });
    }
  }
  return out;
}
