/**
 * Start-up checks of the two directories: existence, access, nesting, and modes that expose plaintext.
 * Problems that make the job impossible throw a UserError; exposure problems are warnings unless strict.
 */
import { constants } from 'node:fs';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, isAbsolute } from 'node:path';
import { UserError, errnoCode } from '../errors.js';
import { isIgnoredName } from '../snapshots/scan.js';

export interface PermissionFinding {
  message: string;
}

function mode(m: number): string {
  return (m & 0o777).toString(8).padStart(4, '0');
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Dragonfly can snapshot straight to object storage; then there is nothing local to seal. */
export function rejectRemoteDir(d: string): void {
  if (/^(s3|gs|gcs|az|azure|abfss?):\/\//i.test(d)) {
    throw new UserError(
      `--dir ${d} is an object-storage URI: Dragonfly then writes no local files, so there is nothing for snapshot-guard to seal; point --dir at Dragonfly's local --dir`,
      2,
    );
  }
}

/** The real path of `p`, which may not exist yet: its nearest existing ancestor resolved, the rest appended. */
async function realpathOfMaybeMissing(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT' || dirname(p) === p) throw err;
    return join(await realpathOfMaybeMissing(dirname(p)), basename(p));
  }
}

/**
 * Checks Dragonfly's directory, and that a local store (`encryptedDir`, which may not exist yet) is
 * neither inside it nor around it. Creates nothing: the store is prepared only after every check passed.
 */
export async function checkDirectories(opts: {
  dragonflyDir: string;
  encryptedDir?: string;
  allowGroupAccess: boolean;
  strict: boolean;
}): Promise<{ dragonflyDir: string; warnings: string[] }> {
  const { dragonflyDir: d, encryptedDir: e } = opts;
  let dst;
  try {
    dst = await stat(d);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT')
      throw new UserError(`--dir ${d} does not exist; create it or point --dir at Dragonfly's --dir`, 2);
    throw new UserError(`cannot access --dir ${d}: ${errnoCode(err) ?? String(err)}`, 2);
  }
  if (!dst.isDirectory()) throw new UserError(`--dir ${d} is not a directory`, 2);
  try {
    await access(d, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    throw new UserError(
      `permission denied on --dir ${d}: snapshot-guard needs read, write and search access there (to read and then remove snapshots); run it as Dragonfly's user or in its group with the directory at mode 0770`,
      2,
    );
  }
  const realD = await realpath(d);
  const realE = e === undefined ? undefined : await realpathOfMaybeMissing(e);
  if (realE !== undefined && (inside(realE, realD) || inside(realD, realE))) {
    throw new UserError(
      `--out ${e} and --dir ${d} must not contain each other: encrypted sets and plaintext snapshots need separate directories`,
      2,
    );
  }

  const warnings: string[] = [];
  const dMode = dst.mode & 0o777;
  if (dMode & 0o007) {
    warnings.push(
      `--dir ${d} is accessible by others (mode ${mode(dMode)}); fix: chmod 700 ${d} (or 770 when snapshot-guard runs in Dragonfly's group)`,
    );
  } else if (dMode & 0o070 && !opts.allowGroupAccess) {
    warnings.push(
      `--dir ${d} is accessible by its group (mode ${mode(dMode)}); fix: chmod 700 ${d}, or pass --allow-group-access if snapshot-guard runs in Dragonfly's group`,
    );
  }
  const exposed: string[] = [];
  for (const name of await readdir(d)) {
    if (isIgnoredName(name) || !(name.endsWith('.rdb') || name.endsWith('.dfs'))) continue;
    try {
      const st = await stat(join(d, name));
      if (st.isFile() && st.mode & 0o004) exposed.push(name);
    } catch {
      /* vanished */
    }
  }
  if (exposed.length > 0) {
    warnings.push(
      `${exposed.length} snapshot file(s) in ${d} are world-readable (e.g. ${exposed[0]}); fix: run Dragonfly with UMask=0077 (systemd; 0007 when snapshot-guard runs in Dragonfly's group) or umask 077, and chmod 600 the existing files`,
    );
  }
  if (opts.strict && warnings.length > 0) {
    throw new UserError(`refusing to start (--strict-permissions): ${warnings[0]}`, 2);
  }
  return { dragonflyDir: d, warnings };
}
