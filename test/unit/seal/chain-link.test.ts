/**
 * The predecessor a new manifest names (seal/chain-link.ts), on a real local store: the newest other
 * set (an `ID.2` re-seal names `ID`), its digest from memory after this process sealed it, else read
 * from the store; a damaged or missing predecessor manifest is passed over for the next older set.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PullReader } from '../../../src/format/chunks.js';
import { readHeader } from '../../../src/format/file.js';
import { readChunks } from '../../../src/io/durable.js';
import { Keyring } from '../../../src/keys/keyring.js';
import { LocalKeyProvider } from '../../../src/keys/local/provider.js';
import { noopObserver } from '../../../src/observe/observer.js';
import { predecessorFor } from '../../../src/seal/chain-link.js';
import { quarantineSet } from '../../../src/seal/recovery.js';
import { checkChain } from '../../../src/store/chain.js';
import { claimedPrevious } from '../../../src/store/set-info.js';
import { encryptAndPublish, type SealConfig } from '../../../src/seal/seal.js';
import { scanDirectory } from '../../../src/snapshots/scan.js';
import { LocalStore } from '../../../src/store/local/local-store.js';
import { setIdFor } from '../../../src/store/names.js';
import { writeRdbFile } from '../../helpers/dfs-writer.js';
import { restoreWorkspace, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace;
let cfg: SealConfig;
const warnings: string[] = [];
const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });

beforeEach(async () => {
  ws = await restoreWorkspace();
  warnings.length = 0;
  cfg = {
    keyring: new Keyring([await LocalKeyProvider.fromFile(ws.keyA)]),
    store: new LocalStore(ws.sealed),
    instance: 'test',
    segmentSize: 4096,
    shredMode: 'unlink',
    parallelism: 1,
    observer: noopObserver,
    log,
  };
});
afterEach(async () => ws.cleanup());

/** Seals one RDB snapshot whose time is `seconds` past a fixed base; returns its id. */
async function seal(seconds: number, store = cfg.store): Promise<string> {
  await writeRdbFile(ws.source, 'dump.rdb', 5000);
  const t = 1_790_000_000 + seconds;
  await utimes(join(ws.source, 'dump.rdb'), t, t);
  const [set] = (await scanDirectory(ws.source)).sets;
  const id = setIdFor(set!.snapshotTimeMs, set!.stem);
  await encryptAndPublish(set!, id, { ...cfg, store });
  await rm(join(ws.source, 'dump.rdb'));
  return id;
}

/** SHA-256 of a stored manifest after its header, computed here from the file. */
async function digestOnDisk(id: string): Promise<string> {
  const path = join(ws.sealed, id, 'manifest.sgm');
  const reader = new PullReader(readChunks(path));
  const header = await readHeader(reader);
  await reader.close();
  return createHash('sha256')
    .update((await readFile(path)).subarray(header.raw.length))
    .digest('hex');
}

describe('predecessorFor', () => {
  it('is null for the first set, then the newest other set with its manifest payload digest', async () => {
    await mkdir(ws.sealed, { mode: 0o700 }); // as watch's prepare() leaves it
    expect(await predecessorFor(cfg.store, setIdFor(0, 'dump'), log)).toBeNull();
    const a = await seal(0);
    const b = await seal(60);
    // Another store object (another process): nothing in memory, the digest is read from the store.
    const fresh = new LocalStore(ws.sealed);
    expect(await predecessorFor(fresh, `${b}.2`, log)).toEqual({
      setId: b,
      manifestSha256: await digestOnDisk(b),
    });
    expect(await predecessorFor(fresh, b, log)).toEqual({ setId: a, manifestSha256: await digestOnDisk(a) });
  });

  it('takes the digest of the set this process sealed last from memory (no read of its manifest)', async () => {
    const a = await seal(0);
    const digest = await digestOnDisk(a);
    // Its manifest is gone from the store, yet the link is the one sealed: memory answered.
    await rm(join(ws.sealed, a, 'manifest.sgm'));
    expect(await predecessorFor(cfg.store, setIdFor(1, 'x'), log)).toEqual({
      setId: a,
      manifestSha256: digest,
    });
  });

  it('passes over a damaged or missing predecessor manifest for the next older set, with a warning', async () => {
    const other = new LocalStore(ws.sealed);
    const a = await seal(0, other);
    const b = await seal(60, other);
    const c = await seal(120, other);
    await writeFile(join(ws.sealed, c, 'manifest.sgm'), 'not an encrypted file');
    await rm(join(ws.sealed, b, 'manifest.sgm'));
    const reader = new LocalStore(ws.sealed);
    expect(await predecessorFor(reader, setIdFor(1_790_000_000_000 + 180_000, 'dump'), log)).toEqual({
      setId: a,
      manifestSha256: await digestOnDisk(a),
    });
    expect(warnings.join('\n')).toContain(`the manifest of set ${c} is damaged or missing`);
    expect(warnings.join('\n')).toContain(`the manifest of set ${b} is damaged or missing`);
  });

  it('still names the set it sealed last when someone deleted it, so the gap stays reported', async () => {
    const a = await seal(0);
    const b = await seal(60);
    const digestB = await digestOnDisk(b);
    // The newest set disappears while the daemon runs: nothing newer names it yet.
    await rm(join(ws.sealed, b), { recursive: true });
    const c = await seal(120);
    expect(warnings.join('\n')).toContain(`set ${b}, the last one this process sealed, is gone`);
    const store = new LocalStore(ws.sealed);
    const ids = await store.listSets();
    expect(ids).toEqual([c, a]);
    const links = [{ setId: c, previous: claimedPrevious(await store.readInfo(c)) }];
    expect(links[0]?.previous).toEqual({ setId: b, manifestSha256: digestB });
    const { breaks } = await checkChain(store, ids, links);
    expect(breaks).toMatchObject([{ setId: c, previous: b, kind: 'missing' }]);
  });

  it('chains past a set this process quarantined itself, without an error', async () => {
    const a = await seal(0);
    const b = await seal(60);
    await quarantineSet(cfg, b, 'a test reason');
    expect(await predecessorFor(cfg.store, setIdFor(1_790_000_000_000 + 120_000, 'dump'), log)).toEqual({
      setId: a,
      manifestSha256: await digestOnDisk(a),
    });
    expect(warnings.join('\n')).not.toContain('is gone');
  });
});
