/**
 * What a write-only host checks without a key (seal/keyless-check.ts) and the daemon's scheduled check
 * on such a host: it never unwraps, records nothing in status.json, and reports damage it can see.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { Keyring } from '../../../src/keys/keyring.js';
import { AgeKeyProvider } from '../../../src/keys/age/index.js';
import { noopObserver, type PipelineObserver } from '../../../src/observe/observer.js';
import { encryptAndPublish, shredSet } from '../../../src/seal/seal.js';
import { checkWithoutKey } from '../../../src/seal/keyless-check.js';
import { verifyLatest } from '../../../src/seal/scheduled-verify.js';
import { daemonOpener } from '../../../src/seal/daemon-keys.js';
import { scanDirectory } from '../../../src/snapshots/scan.js';
import { LocalStore } from '../../../src/store/local/local-store.js';
import { setIdFor } from '../../../src/store/names.js';
import { LocalKeyProvider } from '../../../src/keys/local/provider.js';
import { randomBytes } from 'node:crypto';
import {
  restoreWorkspace,
  writeScannableDfs,
  type RestoreWorkspace,
} from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace;
let keyring: Keyring;
let calls: string[];
let setId: string;
beforeEach(async () => {
  ws = await restoreWorkspace();
  const recipient = await identityToRecipient(await generateX25519Identity());
  keyring = new Keyring([new AgeKeyProvider([recipient], [])]);
  calls = [];
  keyring.onCall((_p, op) => calls.push(op));
  await writeScannableDfs(ws.source, { shards: 3 });
  const [set] = (await scanDirectory(ws.source)).sets;
  setId = setIdFor(set!.snapshotTimeMs, set!.stem);
  const cfg = {
    keyring,
    store: new LocalStore(ws.sealed),
    instance: 'test-instance',
    segmentSize: 4096,
    shredMode: 'unlink' as const,
    parallelism: 2,
    observer: noopObserver,
    log: pino({ level: 'silent' }),
  };
  await encryptAndPublish(set!, setId, cfg);
  await shredSet(set!, ws.source, cfg);
});
afterEach(async () => ws.cleanup());

const store = () => new LocalStore(ws.sealed);
const shardFile = () => join(ws.sealed, setId, 'dump-2026-11-23T17:40:00-0001.dfs.sg');

describe('checks without a key', () => {
  it('a complete set passes; sealing made exactly one generate call and no unwrap', async () => {
    expect(await checkWithoutKey(store(), setId)).toEqual({ setId, ok: true, files: 4 });
    expect(calls).toEqual(['generate']);
  });

  it('a truncated file, a missing file and a file from another set are caught', async () => {
    const size = (await readFile(shardFile())).length;
    await truncate(shardFile(), size - 1);
    expect((await checkWithoutKey(store(), setId)).error).toMatch(/set\.json says .*truncated or damaged/);
    await rm(shardFile());
    expect((await checkWithoutKey(store(), setId)).error).toMatch(/0001\.dfs\.sg is missing/);
    const other = join(ws.sealed, setId, 'dump-2026-11-23T17:40:00-0002.dfs.sg');
    await writeFile(shardFile(), await readFile(other));
    expect((await checkWithoutKey(store(), setId)).error).toMatch(
      /header names .*0002\.dfs \(swapped file\?\)/,
    );
  });

  it('a flipped payload byte is NOT caught: completeness, not authenticity', async () => {
    const bytes = await readFile(shardFile());
    bytes[bytes.length - 10]! ^= 1;
    await writeFile(shardFile(), bytes);
    expect((await checkWithoutKey(store(), setId)).ok).toBe(true);
  });
});

describe('scheduled check on a write-only host', () => {
  function recordingObserver(seen: boolean[]): PipelineObserver {
    return { ...noopObserver, verification: (ok: boolean) => void seen.push(ok) };
  }

  it('never unwraps, records nothing in status.json, and reports visible damage', async () => {
    expect(daemonOpener(keyring)).toBeUndefined();
    const seen: boolean[] = [];
    const statusBefore = await readFile(join(ws.sealed, setId, 'status.json'), 'utf8');
    const ok = await verifyLatest(store(), keyring, recordingObserver(seen), pino({ level: 'silent' }));
    expect(ok?.ok).toBe(true);
    expect(seen).toEqual([]); // no success claimed: nothing was authenticated
    expect(await readFile(join(ws.sealed, setId, 'status.json'), 'utf8')).toBe(statusBefore);
    await rm(shardFile());
    const bad = await verifyLatest(store(), keyring, recordingObserver(seen), pino({ level: 'silent' }));
    expect(bad?.ok).toBe(false);
    expect(seen).toEqual([false]);
    expect(calls).toEqual(['generate']);
    expect(await readdir(join(ws.sealed, setId))).not.toContain('dump-2026-11-23T17:40:00-0001.dfs.sg');
  });

  it('the daemon opens sets with local key files only, never with remote or age keys', () => {
    const local = LocalKeyProvider.fromKey(randomBytes(32));
    const mixed = new Keyring([...keyring.providers, local]);
    expect(daemonOpener(mixed)?.providers).toEqual([local]);
  });
});
