/**
 * Facts about the snapshot directory (--dir): the daemon's own permission checks (the same warnings
 * `watch` logs at start), owner and mode, and whether it is memory-backed.
 */
import { mkdtemp, readFile, realpath, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { errorMessage } from '../errors.js';
import { checkDirectories } from '../pipeline/permissions.js';
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

/** The permission checks also want a sealed-set directory: a private empty one outside --dir. */
async function scratchOut(dir: string): Promise<string> {
  const outside = [tmpdir(), '/dev/shm', '/run', '/var/tmp'].find(
    (b) => b !== dir && !b.startsWith(`${dir}/`) && dir !== '/',
  );
  return mkdtemp(join(outside ?? dirname(dir), 'snapshot-guard-audit-'));
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
  const out = await scratchOut(real);
  try {
    const checked = await checkDirectories({
      dragonflyDir: real,
      encryptedDir: out,
      allowGroupAccess,
      strict: false,
    });
    facts.warnings = checked.warnings.map((w) => w.replaceAll(real, dir));
  } catch (err) {
    // A directory inside the temporary directory's tree is fine for this purpose; anything else is a finding.
    facts.error = errorMessage(err);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  return facts;
}
