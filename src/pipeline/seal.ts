/**
 * Sealing one snapshot set: wrap → encrypt into staging → fsync → manifest → publish (one rename) →
 * read back and verify → shred the plaintext. The plaintext is touched only after the encrypted copy
 * is durable and verified (DESIGN.md promise 1).
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { encodeManifest, MANIFEST_KIND, MANIFEST_VERSION, type Manifest } from '../format/manifest.js';
import { encryptToNewFile } from '../files/encrypted-file.js';
import { IntegrityError } from '../errors.js';
import { fsyncDir } from '../io/durable.js';
import { writeJsonAtomic } from '../io/json-file.js';
import type { Keyring } from '../keys/keyring.js';
import type { WrappedKey } from '../keys/provider.js';
import {
  encryptedNameFor,
  MANIFEST_CONTEXT_NAME,
  MANIFEST_FILE,
  SET_INFO_FILE,
  STAGING_DIR,
  STATUS_FILE,
  setDir,
  stagingDir,
} from '../store/layout.js';
import type { SetInfo, SetStatus } from '../store/set-info.js';
import type { SnapshotFile, SnapshotSet } from '../snapshots/scan.js';
import { crashPoint } from './crash-points.js';
import { mapLimit } from './limit.js';
import type { PipelineObserver, SealStage } from './observer.js';
import { destroyAside, moveAside, type ShredMode } from './shred.js';
import { FileWorkers } from './file-workers.js';
import { checkSetListing, readManifestWithKey, type AuthenticatedFile } from './verify-set.js';

export interface SealConfig {
  keyring: Keyring;
  encryptedDir: string;
  instance: string;
  segmentSize: number;
  shredMode: ShredMode;
  parallelism: number;
  observer: PipelineObserver;
  log: Logger;
}

export interface SealedFile {
  file: SnapshotFile;
  checked: AuthenticatedFile;
}

async function timed<T>(cfg: SealConfig, stage: SealStage, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const out = await fn();
  cfg.observer.stageFinished(stage, (performance.now() - start) / 1000);
  return out;
}

function manifestOf(set: SnapshotSet, setId: string, cfg: SealConfig, sealed: SealedFile[]): Manifest {
  return {
    kind: MANIFEST_KIND,
    version: MANIFEST_VERSION,
    setId,
    instance: cfg.instance,
    sealedAt: new Date().toISOString(),
    snapshotTime: new Date(set.snapshotTimeMs).toISOString(),
    source: { format: set.format, stem: set.stem, snapshotId: set.snapshotId, shardCount: set.shardCount },
    files: sealed.map(({ file, checked }) => ({
      name: file.name,
      role: file.role,
      size: checked.plaintextBytes,
      encryptedSize: checked.encryptedBytes,
      payloadSha256: checked.payloadSha256,
    })),
  };
}

function setInfoOf(m: Manifest, wrapped: WrappedKey[]): SetInfo {
  return {
    setId: m.setId,
    instance: m.instance,
    format: m.source.format,
    stem: m.source.stem,
    snapshotId: m.source.snapshotId,
    shardCount: m.source.shardCount,
    snapshotTime: m.snapshotTime,
    sealedAt: m.sealedAt,
    files: m.files.map(({ name, role, size, encryptedSize }) => ({ name, role, size, encryptedSize })),
    wrappedKeys: wrapped.map(({ provider, keyId }) => ({ provider, keyId })),
  };
}

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  yield await Promise.resolve(buf);
}

/**
 * Encrypts a set into staging and publishes it with one rename. Returns the manifest; the data key
 * is zeroed before returning. Nothing in Dragonfly's directory is touched here.
 */
export async function encryptAndPublish(set: SnapshotSet, setId: string, cfg: SealConfig): Promise<Manifest> {
  const staging = stagingDir(cfg.encryptedDir, setId);
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(cfg.encryptedDir, STAGING_DIR), { recursive: true, mode: 0o700 });
  await mkdir(staging, { mode: 0o700 });
  crashPoint('after-staging');

  const ctx = { instance: cfg.instance, setId };
  const key = await timed(cfg, 'wrap', () => cfg.keyring.newDataKey(ctx));
  try {
    const target = (fileName: string, createdAtMs: number) => ({
      context: { instance: cfg.instance, setId, fileName, createdAtMs },
      dataKey: key.plaintext,
      wrappedKeys: key.wrapped,
      segmentSize: cfg.segmentSize,
    });
    const createdAtMs = Date.now();
    // Files of a set are independent: encrypt and authenticate them on every core.
    const workers = new FileWorkers(Math.min(cfg.parallelism, set.files.length));
    let sealed: SealedFile[];
    try {
      const encrypted = await timed(cfg, 'encrypt', () =>
        mapLimit(set.files, cfg.parallelism, async (file) => {
          const out = join(staging, encryptedNameFor(file.name));
          await workers.run({ kind: 'encrypt', source: file, out, ...target(file.name, createdAtMs) });
          return file;
        }),
      );
      // Read every staged file back and authenticate it; the digests recorded in the manifest come from
      // this read-back, so what is published is exactly what was verified.
      sealed = await timed(cfg, 'verify', () =>
        mapLimit(encrypted, cfg.parallelism, async (file) => {
          const path = join(staging, encryptedNameFor(file.name));
          const checked = await workers.run<AuthenticatedFile>({
            kind: 'authenticate',
            path,
            name: file.name,
            setId,
            dataKey: key.plaintext,
          });
          if (checked.plaintextBytes !== file.size) {
            throw new IntegrityError(
              `${path}: read back ${checked.plaintextBytes} bytes, expected ${file.size}`,
            );
          }
          return { file, checked };
        }),
      );
    } finally {
      await workers.close();
    }
    const manifest = manifestOf(set, setId, cfg, sealed);
    await encryptToNewFile(
      once(encodeManifest(manifest)),
      join(staging, MANIFEST_FILE),
      target(MANIFEST_CONTEXT_NAME, createdAtMs),
    );
    await writeJsonAtomic(join(staging, SET_INFO_FILE), setInfoOf(manifest, key.wrapped));
    await fsyncDir(staging);
    crashPoint('after-encrypt');

    const published = setDir(cfg.encryptedDir, setId);
    await rename(staging, published);
    await fsyncDir(cfg.encryptedDir);
    await fsyncDir(join(cfg.encryptedDir, STAGING_DIR));
    crashPoint('after-publish');

    // The published set is the verified one: same manifest (authenticated again), same files.
    const reread = await readManifestWithKey(published, key.plaintext);
    if (JSON.stringify(reread) !== JSON.stringify(manifest)) {
      throw new IntegrityError(`${published}: the published manifest differs from the one written`);
    }
    await checkSetListing(published, manifest);
    await writeStatus(published, { verifiedAt: new Date().toISOString(), ok: true });
    crashPoint('after-verify');
    return manifest;
  } finally {
    key.plaintext.fill(0);
  }
}

export async function writeStatus(dir: string, status: SetStatus): Promise<void> {
  await writeJsonAtomic(join(dir, STATUS_FILE), status);
}

/**
 * Shreds the plaintext files of a sealed set. All files leave Dragonfly's view first, the summary
 * first, so Dragonfly never sees a half set; then they are overwritten and removed in parallel.
 */
export async function shredSet(set: SnapshotSet, dragonflyDir: string, cfg: SealConfig): Promise<void> {
  await timed(cfg, 'shred', async () => {
    const asides: string[] = [];
    for (const [i, f] of [...set.files].reverse().entries()) {
      const moved = await moveAside(f);
      if (moved === 'replaced')
        cfg.log.info({ file: f.name }, 'a newer snapshot replaced this file; left it alone');
      else if (typeof moved !== 'string') asides.push(moved.aside);
      if (i === 0) crashPoint('mid-shred');
    }
    await mapLimit(asides, cfg.parallelism, (aside) => destroyAside(aside, cfg.shredMode));
    await fsyncDir(dragonflyDir);
  });
  crashPoint('after-shred');
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
