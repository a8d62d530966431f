/**
 * Finishing or redoing what a crash interrupted (every step idempotent):
 * - unpublished work in the store is discarded (at start, by the store itself);
 * - a published set whose plaintext is still there is verified and then adopted (its plaintext is
 *   shredded), or quarantined and sealed again if it fails verification;
 * - DFS shards left without their summary (crash between shredding the summary and the shards) are
 *   removed only when a published set of the same snapshot holds them and verifies.
 * Interrupted shreds themselves are finished by snapshots/shred.ts (finishInterruptedShreds).
 * Recovery opens sets only with keys the daemon may use (seal/daemon-keys.ts). On a write-only host it
 * cannot prove a published set decrypts, so it seals the snapshot again under a new id and leaves the
 * published set in place, saying so; leftover shards go only when their set was verified when it was
 * sealed (status.json) and is still complete, else they stay and are reported once.
 */
import { IntegrityError, errorMessage } from '../errors.js';
import type { Manifest } from '../format/manifest.js';
import { fsyncDir } from '../io/durable.js';
import type { OrphanShard, SnapshotSet } from '../snapshots/scan.js';
import { shredFile } from '../snapshots/shred.js';
import { MANIFEST_FILE } from '../store/names.js';
import { verifyOpened, withSealedSet } from '../store/sealed-set.js';
import { encryptAndPublish, type SealConfig } from './seal.js';
import { daemonOpener } from './daemon-keys.js';
import { forgetSealed } from './chain-link.js';
import { checkWithoutKey } from './keyless-check.js';

/** Moves a published set that fails verification out of the way; it is never deleted. */
export async function quarantineSet(cfg: SealConfig, setId: string, reason: string): Promise<string> {
  const target = await cfg.store.quarantine(setId);
  forgetSealed(cfg.store, setId);
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
  const opener = daemonOpener(cfg.keyring);
  if (!opener) {
    const keyless = await checkWithoutKey(cfg.store, setId);
    cfg.log.warn(
      { setId, keylessCheck: keyless.ok ? 'complete and well-formed' : keyless.error },
      `published set ${setId} cannot be verified on this write-only host (no key here opens sets), so its plaintext is not shredded on its word: sealing the snapshot again under a new id; ${setId} is left in place (check it with \`snapshot-guard verify --set ${setId}\` where the key is, then delete it if redundant)`,
    );
    return undefined;
  }
  const verdict = await withSealedSet(cfg.store, setId, opener, async (opened) => {
    const { manifest } = opened;
    const same =
      manifest.files.length === set.files.length &&
      set.files.every((f) => manifest.files.some((m) => m.name === f.name && m.size === f.size));
    if (!same) return { kind: 'other' as const };
    try {
      await verifyOpened(cfg.store, opened, cfg.parallelism);
    } catch (err) {
      if (!(err instanceof IntegrityError)) throw err;
      return { kind: 'broken' as const, reason: errorMessage(err) };
    }
    return { kind: 'good' as const, manifest };
  }).catch(async (err: unknown) => {
    // A manifest that does not authenticate, or none at all (a set published empty), is as broken as a
    // bad file; a key that cannot unwrap is not, and is retried.
    if (err instanceof IntegrityError) return { kind: 'broken' as const, reason: errorMessage(err) };
    const files = await cfg.store.listFiles(setId).catch(() => undefined);
    if (files && !files.some((f) => f.name === MANIFEST_FILE))
      return { kind: 'broken' as const, reason: `${MANIFEST_FILE} is missing` };
    throw err;
  });
  if (verdict.kind === 'other') return undefined;
  if (verdict.kind === 'broken') {
    await quarantineSet(cfg, setId, verdict.reason);
    return await encryptAndPublish(set, setId, cfg);
  }
  await cfg.store.writeStatus(setId, { verifiedAt: new Date().toISOString(), ok: true });
  cfg.log.info(
    { setId },
    'found this snapshot already sealed and verified (earlier run was interrupted); shredding its plaintext',
  );
  return verdict.manifest;
}

/**
 * Without a key: the set was authenticated with its data key when it was sealed (status.json ok is written
 * only after that, before any shredding) and its files are still all there, with the same sizes.
 */
async function verifiedWhenSealed(cfg: SealConfig, setId: string): Promise<boolean> {
  const status = await cfg.store.readStatus(setId).catch(() => undefined);
  return status?.ok === true && (await checkWithoutKey(cfg.store, setId)).ok;
}

/** Leftover shards a write-only host already reported (once per process, not at every rescan). */
const reportedOrphans = new Set<string>();

/** Shreds orphan shards whose snapshot a verified published set holds; leaves every other one alone. */
export async function removeSealedOrphans(
  orphans: OrphanShard[],
  cfg: SealConfig & { dragonflyDir: string },
): Promise<void> {
  if (orphans.length === 0) return;
  const opener = daemonOpener(cfg.keyring);
  const candidates = new Map<string, OrphanShard[]>();
  for (const id of await cfg.store.listSets()) {
    const info = await cfg.store.readInfo(id);
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
    if (!opener && (await verifiedWhenSealed(cfg, id))) {
      for (const o of shards) await shredFile(o.file, cfg.shredMode);
      await fsyncDir(cfg.dragonflyDir);
      cfg.log.info(
        { setId: id, files: shards.map((o) => o.file.name) },
        'removed leftover plaintext shards of an already sealed set (write-only host: verified when it was sealed, still complete)',
      );
      continue;
    }
    if (!opener) {
      const key = `${id}:${shards.map((o) => o.file.name).join(',')}`;
      if (!reportedOrphans.has(key))
        cfg.log.warn(
          { setId: id, files: shards.map((o) => o.file.name) },
          `leftover plaintext shards left in place: this write-only host cannot verify set ${id}, which holds them; after \`snapshot-guard verify --set ${id}\` passes where the key is, delete them`,
        );
      reportedOrphans.add(key);
      continue;
    }
    // set.json is not authenticated: the verified manifest decides.
    const holds = await withSealedSet(cfg.store, id, opener, async (opened) => {
      await verifyOpened(cfg.store, opened, cfg.parallelism);
      return opened.manifest.source.snapshotId === shards[0]?.snapshotId;
    });
    if (!holds) continue;
    for (const o of shards) await shredFile(o.file, cfg.shredMode);
    await fsyncDir(cfg.dragonflyDir);
    cfg.log.info(
      { setId: id, files: shards.map((o) => o.file.name) },
      'removed leftover plaintext shards of an already sealed set',
    );
  }
}
