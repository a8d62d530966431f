/**
 * Files that an operator's root shell writes into a directory the daemon owns (status.json after
 * `verify`, rewrapped files, the restored marker) must stay readable by the daemon: as root, give them
 * to the directory's owner. As any other user the files are already ours and nothing changes.
 */
import { chown, stat } from 'node:fs/promises';

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Gives `path` the owner and group of `reference` when running as root. */
export async function giveToOwnerOf(path: string, reference: string): Promise<void> {
  if (!runningAsRoot()) return;
  const ref = await stat(reference);
  const st = await stat(path);
  if (st.uid !== ref.uid || st.gid !== ref.gid) await chown(path, ref.uid, ref.gid);
}
