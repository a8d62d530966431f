/** Sealed sets on real files for restore/verify/list/rewrap tests: per-test directories and key files. */
import { LocalStore } from '../../src/store/local/local-store.js';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, open, readFile, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Keyring } from '../../src/keys/keyring.js';
import { LocalKeyProvider, generateKeyFile } from '../../src/keys/local/provider.js';
import { noopObserver } from '../../src/observe/observer.js';
import { encryptAndPublish, shredSet, type SealConfig } from '../../src/seal/seal.js';
import { scanDirectory } from '../../src/snapshots/scan.js';
import { setIdFor } from '../../src/store/names.js';
import { writeDfsSet, writeRdbFile, type DfsWriteResult } from './dfs-writer.js';

export interface RestoreWorkspace {
  root: string;
  /** Where the snapshots are written before sealing (emptied by sealing). */
  source: string;
  /** ENCRYPTED_DIR. */
  sealed: string;
  /** Restore target (Dragonfly's --dir); not created. */
  target: string;
  keyA: string;
  keyB: string;
  fingerprintA: string;
  fingerprintB: string;
  cleanup: () => Promise<void>;
}

export async function restoreWorkspace(): Promise<RestoreWorkspace> {
  const root = await mkdtemp(join(tmpdir(), 'sg-restore-'));
  const source = join(root, 'source');
  await mkdir(source, { mode: 0o700 });
  const keyA = join(root, 'key-a');
  const keyB = join(root, 'key-b');
  const fingerprintA = await generateKeyFile(keyA);
  const fingerprintB = await generateKeyFile(keyB);
  return {
    root,
    source,
    sealed: join(root, 'sealed'),
    target: join(root, 'dragonfly'),
    keyA,
    keyB,
    fingerprintA,
    fingerprintB,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

async function sealConfig(ws: RestoreWorkspace, keyFile: string): Promise<SealConfig> {
  return {
    keyring: new Keyring([await LocalKeyProvider.fromFile(keyFile)]),
    store: new LocalStore(ws.sealed),
    instance: 'test-instance',
    segmentSize: 4096,
    shredMode: 'unlink',
    parallelism: 2,
    observer: noopObserver,
    log: pino({ level: 'silent' }),
  };
}

export interface SealedFixture {
  setId: string;
  /** Plaintext of every file, by name. */
  contents: Map<string, Buffer>;
}

/** Seals whatever complete set is in ws.source and shreds the plaintext, like `watch` does. */
async function sealSource(
  ws: RestoreWorkspace,
  keyFile: string,
  contents: Map<string, Buffer>,
): Promise<SealedFixture> {
  const cfg = await sealConfig(ws, keyFile);
  const [set] = (await scanDirectory(ws.source)).sets;
  if (!set) throw new Error('no complete set in the source directory');
  const setId = setIdFor(set.snapshotTimeMs, set.stem);
  await encryptAndPublish(set, setId, cfg);
  await shredSet(set, ws.source, cfg);
  return { setId, contents };
}

export interface DfsFixtureOptions {
  stem?: string;
  shards?: number;
  bytesPerShard?: number;
  /** Snapshot time (summary mtime), seconds since the epoch; sets a distinct id per set. */
  timeSeconds?: number;
  keyFile?: string;
}

/**
 * writeDfsSet's random record bytes start with 0xFA (the aux opcode) once in 256 files; the scanner
 * then fails to parse the prologue and does not see the set. Write again until the set is complete.
 */
export async function writeScannableDfs(dir: string, o: DfsFixtureOptions): Promise<DfsWriteResult> {
  const stem = o.stem ?? 'dump-2026-11-23T17:40:00';
  for (let attempt = 0; ; attempt++) {
    const written = await writeDfsSet({
      dir,
      stem,
      shards: o.shards ?? 8,
      bytesPerShard: o.bytesPerShard ?? 20_000,
    });
    if ((await scanDirectory(dir)).sets.some((x) => x.stem === stem) || attempt >= 10) return written;
    for (const f of written.files) await rm(f, { force: true });
  }
}

export async function sealDfs(ws: RestoreWorkspace, o: DfsFixtureOptions = {}): Promise<SealedFixture> {
  const written = await writeScannableDfs(ws.source, o);
  if (o.timeSeconds !== undefined) {
    for (const f of written.files) await utimes(f, o.timeSeconds, o.timeSeconds);
  }
  return sealSource(ws, o.keyFile ?? ws.keyA, written.contents);
}

export async function sealRdb(
  ws: RestoreWorkspace,
  name = 'dump.rdb',
  keyFile = ws.keyA,
): Promise<SealedFixture> {
  const data = await writeRdbFile(ws.source, name, 30_000);
  return sealSource(ws, keyFile, new Map([[name, data]]));
}

/** Every entry of a directory (hidden ones included) with size, mode, mtime and a content digest. */
export async function snapshotOfDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { '<missing>': '' };
  }
  for (const n of names.sort()) {
    const st = await lstat(join(dir, n));
    const body = st.isFile()
      ? createHash('sha256')
          .update(await readFile(join(dir, n)))
          .digest('hex')
      : '';
    out[n] = `${st.size} ${(st.mode & 0o777).toString(8)} ${st.mtimeMs} ${st.ino} ${body}`;
  }
  return out;
}

/** `watch` arguments for a daemon on the restore target (Dragonfly's directory) of a workspace. */
export function watchTargetArgs(ws: RestoreWorkspace, metricsPort: number, ...extra: string[]): string[] {
  return [
    '--dir',
    ws.target,
    '--out',
    ws.sealed,
    '--key-file',
    ws.keyA,
    '--metrics-addr',
    `127.0.0.1:${metricsPort}`,
    '--rescan-interval',
    '1s',
    ...extra,
  ];
}

/** Seals an older and a newer RDB set with key A, then damages one payload byte of the newer. */
export async function sealOlderAndDamagedNewer(
  ws: RestoreWorkspace,
): Promise<{ older: SealedFixture; newer: SealedFixture }> {
  const older = await sealRdb(ws);
  await writeRdbFile(ws.source, 'dump.rdb', 30_000);
  await utimes(join(ws.source, 'dump.rdb'), new Date(), new Date(Date.now() + 60_000));
  const newer = await sealRdb(ws);
  const fh = await open(join(ws.sealed, newer.setId, 'dump.rdb.sg'), 'r+');
  try {
    const { size } = await fh.stat();
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, size - 1);
    b[0] = (b[0] ?? 0) ^ 1;
    await fh.write(b, 0, 1, size - 1);
  } finally {
    await fh.close();
  }
  return { older, newer };
}
