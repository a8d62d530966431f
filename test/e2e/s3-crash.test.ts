/**
 * Crash safety with a bucket as the store: the daemon is killed with SIGKILL at every step of sealing
 * and at random moments during uploads (SG_S3_CRASH_RUNS runs, 20 by default; more with
 * scripts/s3-soak.sh), restarted, and after every kill: no snapshot lost (intact plaintext or a
 * committed set that verifies), no committed partial set; after the final run no open multipart upload
 * and no object outside a committed set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { runCli } from '../helpers/cli.js';
import { Daemon } from '../helpers/daemon.js';
import { ceph, newBucket, type Ceph } from '../helpers/ceph.js';
import { allKeys, openUploads, readS3Set, s3Store } from '../helpers/ceph-sets.js';
import { writeDfsSet, writeRdbFile } from '../helpers/dfs-writer.js';
import { workspace, type Workspace } from '../helpers/watch-fixtures.js';
import type { WrittenSnapshot } from '../helpers/watch-invariant.js';
import { createHash } from 'node:crypto';

let c: Ceph;
beforeAll(async () => {
  c = await ceph();
}, 240_000);

const workspaces: Workspace[] = [];
afterAll(async () => {
  for (const w of workspaces) await w.cleanup();
});

const INSTANCE = 'crash-1';

async function setup(): Promise<{
  ws: Workspace;
  bucket: string;
  url: string;
  args: (...e: string[]) => string[];
}> {
  const ws = await workspace();
  workspaces.push(ws);
  const bucket = await newBucket(c);
  const url = `s3://${bucket}/sg`;
  const args = (...extra: string[]) => {
    const a = ws.args('--instance', INSTANCE, ...extra);
    a[a.indexOf('--out') + 1] = url;
    return a;
  };
  return { ws, bucket, url, args };
}

async function writeSnapshot(
  dir: string,
  label: string,
  kind: 'dfs' | 'rdb',
  shards: number,
  size: number,
): Promise<WrittenSnapshot> {
  if (kind === 'rdb') {
    const name = `${label}.rdb`;
    return { label, contents: new Map([[name, await writeRdbFile(dir, name, size)]]) };
  }
  const w = await writeDfsSet({ dir, stem: label, shards, bytesPerShard: size });
  return { label, contents: w.contents };
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The no-snapshot-lost invariant against the bucket: every committed set verifies in full (so no
 * committed set is partial), and every snapshot is intact in plaintext or held by a committed set.
 */
async function checkNothingLost(
  ws: Workspace,
  url: string,
  snapshots: WrittenSnapshot[],
  verified: Map<string, Map<string, string>>,
): Promise<Map<string, string[]>> {
  const store = s3Store(c, url, INSTANCE);
  try {
    for (const id of await store.listSets()) {
      if (verified.has(id)) continue;
      const files = await readS3Set(store, id, ws.keyring);
      verified.set(id, new Map([...files].map(([n, b]) => [n, digest(b)])));
    }
  } finally {
    await store.close();
  }
  const where = new Map<string, string[]>();
  for (const s of snapshots) {
    const places: string[] = [];
    let intact = true;
    for (const [name, bytes] of s.contents) {
      const now = await readFile(join(ws.df, name)).catch(() => undefined);
      if (!now?.equals(bytes)) intact = false;
    }
    if (intact) places.push('plaintext');
    const sealed = [...verified.values()].some((files) =>
      [...s.contents].every(([n, b]) => files.get(n) === digest(b)),
    );
    if (sealed) places.push('sealed');
    expect(places, `snapshot ${s.label} is neither intact in plaintext nor sealed`).not.toEqual([]);
    where.set(s.label, places);
  }
  return where;
}

/** A last clean run seals everything; then nothing is left behind in the bucket. */
async function finishAndCheck(
  t: Awaited<ReturnType<typeof setup>>,
  snapshots: WrittenSnapshot[],
  verified = new Map<string, Map<string, string>>(),
): Promise<void> {
  const res = await runCli(['watch', ...t.args('--once')], { env: c.env });
  expect(res.code, `${res.stderr}\n${res.stdout.toString()}`).toBe(0);
  const where = await checkNothingLost(t.ws, t.url, snapshots, verified);
  for (const [label, places] of where) expect(places, label).toEqual(['sealed']);
  expect(await readdir(t.ws.df)).toEqual([]);
  const store = s3Store(c, t.url, INSTANCE);
  const ids = await store.listSets();
  expect(ids.length).toBe(snapshots.length);
  // Every object belongs to a committed set's attempt (or is a commit / quarantine record).
  const live = new Set<string>();
  for (const id of ids) live.add(`sg/${INSTANCE}/${id}/${(await store.commitOf(id))!.attempt}/`);
  await store.close();
  const stray = (await allKeys(c, t.bucket)).filter(
    (k) => !k.endsWith('.commit') && ![...live].some((p) => k.startsWith(p)) && !k.includes('/quarantine/'),
  );
  const quarantinedData = stray.filter(() => false);
  expect(
    stray.filter((k) => !quarantinedData.includes(k)),
    'objects outside committed sets',
  ).toEqual([]);
  expect(await openUploads(c, t.bucket), 'open multipart uploads').toEqual([]);
}

describe('crash safety with a bucket (SIGKILL)', () => {
  it.each(['after-staging', 'after-encrypt', 'after-publish', 'after-verify', 'mid-shred'])(
    'killed %s: nothing lost, finished on restart',
    async (point) => {
      const t = await setup();
      const snap = await writeSnapshot(t.ws.df, 'dump-crash', 'dfs', 2, 300_000);
      const res = await runCli(['watch', ...t.args('--once')], {
        env: { ...c.env, SNAPSHOT_GUARD_TEST_CRASH_AT: point },
      });
      expect(res.code, `expected SIGKILL at ${point}; stderr: ${res.stderr}`).toBe(137);
      const where = await checkNothingLost(t.ws, t.url, [snap], new Map());
      if (point === 'after-staging' || point === 'after-encrypt')
        expect(where.get('dump-crash')).toEqual(['plaintext']);
      if (point === 'after-verify') expect(where.get('dump-crash')).toEqual(['plaintext', 'sealed']);
      await finishAndCheck(t, [snap]);
    },
  );

  it('a committed set that no longer verifies is quarantined (kept in the bucket) and sealed again', async () => {
    const t = await setup();
    const snap = await writeSnapshot(t.ws.df, 'dump-q', 'rdb', 1, 300_000);
    const res = await runCli(['watch', ...t.args('--once')], {
      env: { ...c.env, SNAPSHOT_GUARD_TEST_CRASH_AT: 'after-publish' },
    });
    expect(res.code).toBe(137);
    // Flip one byte of the committed encrypted file in the bucket.
    const store = s3Store(c, t.url, INSTANCE);
    const [id] = await store.listSets();
    const key = `sg/${INSTANCE}/${id}/${(await store.commitOf(id!))!.attempt}/dump-q.rdb.sg`;
    await store.close();
    const obj = await c.client.send(new GetObjectCommand({ Bucket: t.bucket, Key: key }));
    const bytes = Buffer.from(await obj.Body!.transformToByteArray());
    bytes[bytes.length - 100]! ^= 1;
    await c.client.send(new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: bytes }));
    const again = await runCli(['watch', ...t.args('--once')], { env: c.env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.toString()).toContain('published set failed verification; quarantined it');
    const keys = await allKeys(c, t.bucket);
    expect(keys.filter((k) => k.includes('/quarantine/'))).toHaveLength(1);
    expect(keys).toContain(key); // the bad set's data is kept
    const after = s3Store(c, t.url, INSTANCE);
    const [id2] = await after.listSets();
    expect(id2).toBe(id);
    expect(
      (await readS3Set(after, id2!, t.ws.keyring))
        .get('dump-q.rdb')
        ?.equals(snap.contents.get('dump-q.rdb')!),
    ).toBe(true);
    await after.close();
    expect(await readdir(t.ws.df)).toEqual([]);
  });

  const runs = Number(process.env.SG_S3_CRASH_RUNS ?? 20);
  it(`random SIGKILLs during uploads (${runs} runs)`, { timeout: 900_000 }, async () => {
    const t = await setup();
    const snapshots: WrittenSnapshot[] = [];
    const outcomes = new Map<string, number>();
    const verified = new Map<string, Map<string, string>>();
    let maxDelay = 400;
    for (let i = 0; i < runs; i++) {
      const kind = i % 3 === 0 ? 'rdb' : 'dfs';
      // 9–12 MiB per file: two parts of 8 MiB, so kills land between and inside part uploads.
      const size = (9 + ((i * 7) % 4)) * 1024 * 1024;
      snapshots.push(await writeSnapshot(t.ws.df, `dump-run${String(i).padStart(4, '0')}`, kind, 1, size));
      const d = Daemon.start(t.args('--log-level', 'info'), c.env);
      await d.waitFor((l) => l.msg === 'watching for finished snapshots', 60_000);
      // Aim at the upload: wait until a multipart upload is open (or the daemon got past it), then
      // kill at a random moment within the next maxDelay ms.
      const started = Date.now();
      while (d.running && Date.now() - started < 20_000 && (await openUploads(c, t.bucket)).length === 0) {
        if (d.count((l) => l.msg.startsWith('sealed snapshot set')) > 0) break;
        await sleep(20);
      }
      await sleep(Math.random() * maxDelay);
      await d.kill('SIGKILL');
      const uploading = (await openUploads(c, t.bucket)).length > 0;
      const where = await checkNothingLost(t.ws, t.url, snapshots, verified);
      const state = [...where.values()].at(-1)?.join('+') ?? '';
      const key = uploading ? `${state} (multipart upload open)` : state;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (key === 'plaintext') maxDelay *= 1.3;
      else if (state === 'sealed') maxDelay /= 1.3;
    }
    await finishAndCheck(t, snapshots, verified);
    console.log(
      `S3 crash runs: ${runs}; state of the newest snapshot right after each kill:`,
      Object.fromEntries(outcomes),
    );
    expect(outcomes.size).toBeGreaterThanOrEqual(runs >= 20 ? 2 : 1);
  });
});
