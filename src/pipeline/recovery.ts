/**
 * Finishing or redoing what a crash interrupted (every step idempotent):
 * - staging directories are never published work: discarded;
 * - a published set whose plaintext is still there is verified and then adopted (its plaintext is
 *   shredded), or quarantined and sealed again if it fails verification;
 * - DFS shards left without their summary (crash between shredding the summary and the shards) are
 *   removed only when a published set of the same snapshot holds them and verifies.
 * Interrupted shreds themselves are finished by shred.ts (finishInterruptedShreds).
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError, errorMessage } from '../errors.js';
import type { Manifest } from '../format/manifest.js';
import { fsyncDir } from '../io/durable.js';
import type { OrphanShard, SnapshotSet } from '../snapshots/scan.js';
import { QUARANTINE_DIR, STAGING_DIR, setDir } from '../store/layout.js';
import { readSetInfo } from '../store/set-info.js';
import { encryptAndPublish, writeStatus, type SealConfig } from './seal.js';
import { shredFile } from './shred.js';
import { readManifestWithKey, unwrapSetKey, verifySetWithKey } from './verify-set.js';

export async function discardStaging(encryptedDir: string): Promise<void> {
  const staging = join(encryptedDir, STAGING_DIR);
  let names: string[];
  try {
    names = await readdir(staging);
  } catch {
    return; // no staging directory yet
  }
  for (const name of names) await rm(join(staging, name), { recursive: true, force: true });
}

/** Moves a published set that fails verification out of the way; it is never deleted. */
export async function quarantineSet(cfg: SealConfig, setId: string, reason: string): Promise<string> {
  const qdir = join(cfg.encryptedDir, QUARANTINE_DIR);
  await mkdir(qdir, { recursive: true, mode: 0o700 });
  const target = join(qdir, `${setId}-${Date.now()}`);
  await rename(setDir(cfg.encryptedDir, setId), target);
  await fsyncDir(cfg.encryptedDir);
  cfg.log.error(
    { setId, reason, movedTo: target },
    'published set failed verification; quarantined it and sealing the snapshot again',
  );
  return target;
}

/**
 * A set `setId` is already published (an earlier run stopped after publishing). Returns its manifest
 * once it verifies — sealing it again if it does not — or undefined if it holds another snapshot.
 */
export async function adoptPublished(
  set: SnapshotSet,
  setId: string,
  cfg: SealConfig,
): Promise<Manifest | undefined> {
  const dir = setDir(cfg.encryptedDir, setId);
  const { dataKey } = await unwrapSetKey(dir, cfg.keyring);
  try {
    const manifest = await readManifestWithKey(dir, dataKey);
    const same =
      manifest.files.length === set.files.length &&
      set.files.every((f) => manifest.files.some((m) => m.name === f.name && m.size === f.size));
    if (!same) return undefined;
    try {
      await verifySetWithKey(dir, dataKey, undefined, cfg.parallelism);
    } catch (err) {
      if (!(err instanceof IntegrityError)) throw err;
      await quarantineSet(cfg, setId, errorMessage(err));
      return await encryptAndPublish(set, setId, cfg);
    }
    await writeStatus(dir, { verifiedAt: new Date().toISOString(), ok: true });
    cfg.log.info(
      { setId },
      'found this snapshot already sealed and verified (earlier run was interrupted); shredding its plaintext',
    );
    return manifest;
  } finally {
    dataKey.fill(0);
  }
}

/** Shreds orphan shards whose snapshot a verified published set holds; leaves every other one alone. */
export async function removeSealedOrphans(
  orphans: OrphanShard[],
  cfg: SealConfig & { dragonflyDir: string },
): Promise<void> {
  if (orphans.length === 0) return;
  const candidates = new Map<string, OrphanShard[]>();
  for (const id of (await readdir(cfg.encryptedDir)).filter((n) => !n.startsWith('.'))) {
    const info = await readSetInfo(setDir(cfg.encryptedDir, id));
    if (!info || info.format !== 'dfs') continue;
    const match = orphans.filter(
      (o) =>
        o.snapshotId &&
        o.snapshotId === info.snapshotId &&
        o.stem === info.stem &&
        info.files.some((f) => f.name === o.file.name && f.size === o.file.size),
    );
    if (match.length > 0) candidates.set(id, match);
  }
  for (const [id, shards] of candidates) {
    const dir = setDir(cfg.encryptedDir, id);
    const { dataKey } = await unwrapSetKey(dir, cfg.keyring);
    try {
      // set.json is not authenticated: the verified manifest decides.
      const manifest = await verifySetWithKey(dir, dataKey, undefined, cfg.parallelism);
      if (manifest.source.snapshotId !== shards[0]?.snapshotId) continue;
    } finally {
      dataKey.fill(0);
    }
    for (const o of shards) await shredFile(o.file, cfg.shredMode);
    await fsyncDir(cfg.dragonflyDir);
    cfg.log.info(
      { setId: id, files: shards.map((o) => o.file.name) },
      'removed leftover plaintext shards of an already sealed set',
    );
  }
}
