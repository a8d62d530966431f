/**
 * Facts about the snapshot directory (--dir): the daemon's own permission checks (the same warnings
 * `watch` logs at start), owner and mode, and whether it is memory-backed.
 */
import { readFile, realpath, stat, statfs } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import { checkDirectories } from '../snapshots/permissions.js';
import type { DirFacts } from './config.js';

async function userName(uid: number): Promise<string | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && Number(id) === uid) return name;
  }
  return undefined;
}

/** The file system type of the mount holding `path` (longest matching mount point). */
async function fsType(path: string): Promise<string | undefined> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  let best: { point: string; type: string } | undefined;
  for (const line of mounts.split('\n')) {
    const [, point, type] = line.split(' ');
    if (!point || !type) continue;
    const p = point.replace(/\\040/g, ' ');
    const inside = path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`);
    if (inside && (!best || p.length > best.point.length)) best = { point: p, type };
  }
  return best?.type;
}

export async function directoryFacts(dir: string, allowGroupAccess: boolean): Promise<DirFacts> {
  const facts: DirFacts = { path: dir, warnings: [] };
  let real: string;
  try {
    real = await realpath(dir);
    const st = await stat(real);
    facts.uid = st.uid;
    facts.mode = st.mode & 0o7777;
    facts.owner = await userName(st.uid);
    const type = await fsType(real);
    facts.memoryBacked = type === 'tmpfs' || type === 'ramfs';
    const fs = await statfs(real).catch(() => undefined);
    if (fs) facts.fsBytes = fs.blocks * fs.bsize;
  } catch (err) {
    facts.error = errorMessage(err);
    return facts;
  }
  try {
    const checked = await checkDirectories({ dragonflyDir: real, allowGroupAccess, strict: false });
    facts.warnings = checked.warnings.map((w) => w.replaceAll(real, dir));
  } catch (err) {
    facts.error = errorMessage(err);
  }
  return facts;
}
