/** Per-test directories and a key, cleaned up afterwards. */
import { mkdtemp, readdir, rm, mkdir } from 'node:fs/promises';
import { DIR_LOCK_FILE } from '../../src/snapshots/dir-lock.js';
import { RESTORE_STATUS_FILE } from '../../src/snapshots/restore-status.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Keyring } from '../../src/keys/keyring.js';
import { LocalKeyProvider, encodeKeyFile } from '../../src/keys/local/provider.js';

export interface Workspace {
  root: string;
  df: string;
  out: string;
  keyFile: string;
  keyring: Keyring;
  /** Common daemon arguments. */
  args: (...extra: string[]) => string[];
  cleanup: () => Promise<void>;
}

export async function workspace(base = tmpdir()): Promise<Workspace> {
  const root = await mkdtemp(join(base, 'sg-watch-'));
  const df = join(root, 'dragonfly');
  const out = join(root, 'sealed');
  await mkdir(df, { mode: 0o700 });
  const key = randomBytes(32);
  const keyFile = join(root, 'key');
  await writeFile(keyFile, encodeKeyFile(key), { mode: 0o600 });
  const keyring = new Keyring([LocalKeyProvider.fromKey(key)]);
  return {
    root,
    df,
    out,
    keyFile,
    keyring,
    args: (...extra) => [
      '--dir',
      df,
      '--out',
      out,
      '--key-file',
      keyFile,
      '--metrics-addr',
      'off',
      '--rescan-interval',
      '1s',
      '--segment-size',
      '64KiB',
      ...extra,
    ],
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * What is in a Dragonfly directory besides snapshot-guard's own bookkeeping, which holds no snapshot
 * data: the running daemon's lock and the last restore's status.
 */
export async function leftInDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n !== DIR_LOCK_FILE && n !== RESTORE_STATUS_FILE).sort();
}
