/**
 * Which sealed sets ENCRYPTED_DIR holds, newest first, and which of them a command works on
 * (--set ID, --latest, --all). Work in progress (.staging) and quarantined sets never count.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError, UserError, errnoCode } from '../errors.js';
import { MANIFEST_FILE, isSetId } from './layout.js';

/** Thrown when ENCRYPTED_DIR does not exist, so that `restore --if-empty` can treat it as "nothing sealed". */
export class NoEncryptedDirError extends UserError {
  constructor(readonly dir: string) {
    super(
      `${dir} does not exist; pass with --from the directory \`snapshot-guard watch\` writes sealed sets to (its --out)`,
    );
    this.name = 'NoEncryptedDirError';
  }
}

/** Ids of the published sets in `encryptedDir`, newest first (ids start with the snapshot time). */
export async function sealedSetIds(encryptedDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(encryptedDir);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') throw new NoEncryptedDirError(encryptedDir);
    if (code === 'ENOTDIR')
      throw new UserError(`${encryptedDir} is not a directory; pass the sealed-set directory with --from`);
    if (code === 'EACCES' || code === 'EPERM') {
      throw new UserError(`permission denied: cannot list ${encryptedDir}; run as its owner (or root)`);
    }
    throw err;
  }
  const ids: string[] = [];
  for (const name of names) {
    if (!isSetId(name)) continue;
    const st = await lstat(join(encryptedDir, name)).catch(() => undefined);
    if (st?.isDirectory()) ids.push(name);
  }
  // "20261123T174005.123Z_dump" sorts by time; a ".2" suffix (same snapshot sealed again) sorts after.
  return ids.sort().reverse();
}

export interface SetChoice {
  set?: string;
  latest?: boolean;
  all?: boolean;
}

export type DefaultChoice = 'latest' | 'all' | 'none';

/** Resolves --set/--latest/--all (at most one) into set ids, newest first. */
export async function chooseSets(
  encryptedDir: string,
  choice: SetChoice,
  fallback: DefaultChoice,
): Promise<string[]> {
  const given = [choice.set !== undefined, Boolean(choice.latest), Boolean(choice.all)].filter(
    Boolean,
  ).length;
  if (given > 1) throw new UserError('choose only one of --set ID, --latest and --all', 2);
  if (given === 0 && fallback === 'none') throw new UserError('choose a set: pass --set ID or --latest', 2);
  if (choice.set !== undefined && !isSetId(choice.set)) {
    throw new UserError(
      `--set "${choice.set}" is not a set id (they look like 20261123T174005.123Z_dump); run snapshot-guard list --from ${encryptedDir}`,
      2,
    );
  }
  const ids = await sealedSetIds(encryptedDir);
  if (ids.length === 0) throw new UserError(`no sealed set in ${encryptedDir} yet`);
  if (choice.set !== undefined) {
    if (!ids.includes(choice.set)) {
      throw new UserError(
        `no sealed set ${choice.set} in ${encryptedDir}; run snapshot-guard list --from ${encryptedDir} to see the sets`,
      );
    }
    return [choice.set];
  }
  const all = choice.all ?? (!choice.latest && fallback === 'all');
  return all ? ids : ids.slice(0, 1);
}

/** The directory name is how an operator chooses a set: it must be the set its manifest belongs to. */
export function assertManifestOf(encryptedDir: string, setId: string, manifestSetId: string): void {
  if (manifestSetId !== setId) {
    throw new IntegrityError(
      `${join(encryptedDir, setId, MANIFEST_FILE)}: belongs to set ${manifestSetId}, not ${setId} (manifest swapped or directory renamed)`,
    );
  }
}
