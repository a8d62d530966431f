/**
 * Write-only sealing hosts, end to end: `watch` holding only age recipients (or a KMS key / Vault token
 * whose policy denies every decrypting operation) seals real redis-server dumps and DFS sets, survives
 * kill -9 at the steps after publishing without ever opening a set, and the host's `restore` refuses in
 * one line; the restore role (age identity, kms:Decrypt, transit/decrypt) restores byte-identically.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { Daemon, eventually } from '../helpers/daemon.js';
import { ageKeygen, type AgeKeygenIdentity } from '../helpers/age-tools.js';
import { writeDfsSet } from '../helpers/dfs-writer.js';
import { RedisServer, fillRedis } from '../helpers/redis-server.js';
import { publishedSets } from '../helpers/sealed.js';
import { leftInDir, workspace, type Workspace } from '../helpers/watch-fixtures.js';
import { checkNothingLost, type WrittenSnapshot } from '../helpers/watch-invariant.js';
import { KmsEmulator } from '../emulators/kms-emulator.js';
import { VaultEmulator } from '../emulators/vault-emulator.js';
import { Keyring } from '../../src/keys/keyring.js';
import { AgeKeyProvider, loadIdentityFile } from '../../src/keys/age/index.js';

let ws: Workspace | undefined;
let daemon: Daemon | undefined;
let redis: RedisServer | undefined;
let kms: KmsEmulator | undefined;
let vault: VaultEmulator | undefined;
afterEach(async () => {
  await daemon?.kill();
  await redis?.stop();
  await kms?.stop();
  await vault?.close();
  await ws?.cleanup();
  daemon = redis = kms = vault = ws = undefined;
});

/** watch arguments without any key: the test adds only sealing keys. */
function watchArgs(w: Workspace, keyArgs: string[], ...extra: string[]): string[] {
  return [
    '--dir',
    w.df,
    '--out',
    w.out,
    ...keyArgs,
    '--metrics-addr',
    'off',
    '--rescan-interval',
    '1s',
    '--retry-max',
    '1s',
    '--segment-size',
    '64KiB',
    ...extra,
  ];
}

async function openingKeyring(id: AgeKeygenIdentity): Promise<Keyring> {
  return new Keyring([new AgeKeyProvider([], await loadIdentityFile(id.path))]);
}

/** Restores the newest set into a fresh directory and compares every file with what was written. */
async function restoreAndCompare(
  w: Workspace,
  keyArgs: string[],
  snapshot: Map<string, Buffer>,
  set: string,
  env: Record<string, string | undefined> = {},
): Promise<void> {
  const to = join(w.root, `restored-${Math.random().toString(36).slice(2)}`);
  const res = await runCli(['restore', '--from', w.out, '--set', set, '--to', to, ...keyArgs], { env });
  expect(res.code, res.stderr).toBe(0);
  for (const [name, bytes] of snapshot)
    expect((await readFile(join(to, name))).equals(bytes), name).toBe(true);
}

async function setHolding(w: Workspace, keyring: Keyring, snap: WrittenSnapshot): Promise<string> {
  const { openSealedSet } = await import('../helpers/sealed.js');
  for (const id of await publishedSets(w.out)) {
    const files = (await openSealedSet(w.out, id, keyring)).files;
    if ([...snap.contents].every(([n, b]) => files.get(n)?.equals(b))) return id;
  }
  throw new Error(`no set holds ${snap.label}`);
}

describe('write-only watch with age recipients', () => {
  it('seals real redis-server dumps and DFS sets; restore here is refused in one line, with the identity byte-identical', async () => {
    ws = await workspace();
    const id = ageKeygen(ws.root, 'restore-identity.txt');
    const sealing = ['--age-recipient', id.recipient];
    redis = await RedisServer.start(ws.df);
    await fillRedis(redis.client, 2000);
    // Saved before the daemon starts, so the test keeps the exact bytes Redis wrote.
    await redis.bgsave();
    const rdb = await readFile(join(ws.df, 'dump.rdb'));
    daemon = Daemon.start(watchArgs(ws, sealing, '--verify-every', '1s'));
    await daemon.waitForSealed(1);
    await eventually(async () => (await leftInDir(ws!.df)).length === 0, 30_000, 'dump.rdb shredded');
    const dfs = await writeDfsSet({ dir: ws.df, stem: 'dump-dfs', shards: 4, bytesPerShard: 50_000 });
    await daemon.waitForSealed(2);
    // The scheduled check says what a write-only host can check, and that it is not authentication.
    const check = await daemon.waitFor((l) => /scheduled check \(write-only host/.test(l.msg));
    expect(check.msg).toMatch(/NOT authenticated here/);
    await daemon.kill();
    daemon = undefined;

    // This host's restore: one line, what to use instead.
    const [older, newest] = (await publishedSets(ws.out)) as [string, string];
    const denied = await runCli([
      'restore',
      '--from',
      ws.out,
      '--latest',
      '--to',
      join(ws.root, 'x'),
      ...sealing,
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stderr.trim().split('\n')).toHaveLength(1);
    expect(denied.stderr).toMatch(/holds no key that can open sealed sets.*--age-identity PATH/);
    const verify = await runCli(['verify', '--from', ws.out, '--all', ...sealing]);
    expect(verify.code).toBe(4);
    expect(verify.stdout.toString()).toMatch(/^complete .*NOT authenticated/m);
    const doctor = await runCli(['doctor', '--dir', ws.df, '--out', ws.out, ...sealing]);
    expect(doctor.stdout.toString()).toMatch(/this is a write-only host: no key here can open sealed sets/);

    // The restore role (the identity) gets every byte back.
    await restoreAndCompare(ws, ['--age-identity', id.path], new Map([['dump.rdb', rdb]]), older);
    await restoreAndCompare(ws, ['--age-identity', id.path], dfs.contents, newest);
  });

  it.each(['after-publish', 'after-verify', 'mid-shred'])(
    'killed -9 %s: finished on restart without opening a set, nothing lost',
    async (point) => {
      ws = await workspace();
      const id = ageKeygen(ws.root, 'restore-identity.txt');
      const sealing = ['--age-recipient', id.recipient];
      const w = await writeDfsSet({ dir: ws.df, stem: 'dump-crash', shards: 3, bytesPerShard: 100_000 });
      const snap = { label: 'dump-crash', contents: w.contents };
      const crashed = await runCli(['watch', ...watchArgs(ws, sealing, '--once')], {
        env: { SNAPSHOT_GUARD_TEST_CRASH_AT: point },
      });
      expect(crashed.code).toBe(137);
      const again = await runCli(['watch', ...watchArgs(ws, sealing, '--once')]);
      expect(again.code, again.stderr).toBe(0);
      const log = again.stdout.toString();
      if (point !== 'mid-shred') expect(log).toMatch(/cannot be verified on this write-only host/);
      expect(await leftInDir(ws.df)).toEqual([]);
      const keyring = await openingKeyring(id);
      const where = await checkNothingLost(ws.df, ws.out, keyring, [snap]);
      expect(where.get('dump-crash')).toEqual(['sealed']);
      await restoreAndCompare(
        ws,
        ['--age-identity', id.path],
        w.contents,
        await setHolding(ws, keyring, snap),
      );
    },
  );
});

describe('encrypt-only KMS and Vault policies', () => {
  it('KMS: a key policy without kms:Decrypt sees zero decrypting calls over a watch run with kill -9; the restore role restores; mixed with age, either restores', async () => {
    ws = await workspace();
    kms = await KmsEmulator.start();
    const key = kms.createKey({ alias: 'alias/snapshots' });
    // The sealing role's minimal policy.
    kms.keyPolicy(key.arn, ['kms:GenerateDataKey', 'kms:Encrypt', 'kms:DescribeKey']);
    const id = ageKeygen(ws.root, 'restore-identity.txt');
    const sealing = [
      '--kms-key-id',
      'alias/snapshots',
      '--kms-endpoint',
      kms.endpoint,
      '--age-recipient',
      id.recipient,
    ];
    const env = kms.env();

    const first = await writeDfsSet({ dir: ws.df, stem: 'dump-one', shards: 3, bytesPerShard: 60_000 });
    const crashed = await runCli(['watch', ...watchArgs(ws, sealing, '--once')], {
      env: { ...env, SNAPSHOT_GUARD_TEST_CRASH_AT: 'after-publish' },
    });
    expect(crashed.code).toBe(137);
    daemon = Daemon.start(watchArgs(ws, sealing, '--verify-every', '1s'), env);
    await daemon.waitForSealed(1);
    const second = await writeDfsSet({ dir: ws.df, stem: 'dump-two', shards: 2, bytesPerShard: 60_000 });
    await daemon.waitForSealed(2);
    await daemon.waitFor((l) => /scheduled check \(write-only host/.test(l.msg));
    await daemon.kill();
    daemon = undefined;
    expect(await leftInDir(ws.df)).toEqual([]);
    expect(kms.count('Decrypt')).toBe(0);
    expect(kms.count('ReEncrypt')).toBe(0);
    expect(kms.count('GenerateDataKey', { ok: true })).toBeGreaterThanOrEqual(3);

    const kmsRestore = ['--kms-key-id', key.arn, '--kms-endpoint', kms.endpoint];
    const ids = await publishedSets(ws.out);
    const newest = ids.at(-1)!;
    // With the sealing policy, restore is refused by KMS (AccessDeniedException), in one line.
    const denied = await runCli(
      ['restore', '--from', ws.out, '--set', newest, '--to', join(ws.root, 'x'), ...kmsRestore],
      { env },
    );
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/kms:Decrypt|AccessDenied|not authorized/);
    expect(denied.stderr.trim().split('\n')).toHaveLength(1);
    // doctor with the sealing role: wrapping works, unwrapping is denied, and that is said to be right.
    const doctor = await runCli(['doctor', '--dir', ws.df, '--out', ws.out, ...kmsRestore], { env });
    expect(doctor.stdout.toString()).toMatch(
      /warn .*keys can wrap a data key but not unwrap it here .*write-only sealing role/,
    );
    expect(doctor.stdout.toString()).not.toMatch(/FAIL .*key provider/);
    // The restore role: Decrypt allowed. Either the KMS key or the age identity restores.
    kms.keyPolicy(key.arn, ['kms:Decrypt', 'kms:DescribeKey']);
    await restoreAndCompare(ws, kmsRestore, second.contents, newest, env);
    await restoreAndCompare(ws, ['--age-identity', id.path], second.contents, newest);
    const keyring = await openingKeyring(id);
    const firstSet = await setHolding(ws, keyring, { label: 'dump-one', contents: first.contents });
    await restoreAndCompare(ws, kmsRestore, first.contents, firstSet, env);
  });

  it('Vault: a token with only transit/datakey/plaintext seals across kill -9 with no transit/decrypt call; the restore token restores', async () => {
    ws = await workspace();
    vault = await VaultEmulator.start();
    vault.engine().createKey('snapshots', false);
    const token = vault.createToken({ policy: { 'transit/datakey/plaintext/snapshots': ['update'] } });
    await writeFile(join(ws.root, 'token'), token, { mode: 0o600 });
    const sealing = [
      '--vault-addr',
      vault.addr,
      '--vault-key',
      'snapshots',
      '--vault-token-file',
      join(ws.root, 'token'),
    ];
    const env = { VAULT_NAMESPACE: undefined, VAULT_CACERT: undefined, VAULT_TOKEN: undefined };

    const snap = await writeDfsSet({ dir: ws.df, stem: 'dump-v', shards: 2, bytesPerShard: 60_000 });
    const crashed = await runCli(['watch', ...watchArgs(ws, sealing, '--once')], {
      env: { ...env, SNAPSHOT_GUARD_TEST_CRASH_AT: 'after-publish' },
    });
    expect(crashed.code).toBe(137);
    const again = await runCli(['watch', ...watchArgs(ws, sealing, '--once', '--verify-every', '1s')], {
      env,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(await leftInDir(ws.df)).toEqual([]);
    const decrypting = vault.requests.filter((r) => /transit\/(decrypt|rewrap)\//.test(r.path));
    expect(decrypting).toEqual([]);
    // The policy really is enforced: the sealing token cannot decrypt.
    const denied = await fetch(`${vault.addr}/v1/transit/decrypt/snapshots`, {
      method: 'POST',
      headers: { 'X-Vault-Token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ ciphertext: 'vault:v1:AAAA' }),
    });
    expect(denied.status).toBe(403);
    expect(JSON.stringify(await denied.json())).toContain('permission denied');

    const newest = (await publishedSets(ws.out)).at(-1)!;
    // restore with the sealing token: Vault's refusal, in one line.
    const refused = await runCli(
      ['restore', '--from', ws.out, '--set', newest, '--to', join(ws.root, 'x'), ...sealing],
      { env },
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/permission denied|403/);
    const restoreToken = vault.createToken({ policy: { 'transit/decrypt/snapshots': ['update'] } });
    await restoreAndCompare(
      ws,
      ['--vault-addr', vault.addr, '--vault-key', 'snapshots'],
      snap.contents,
      newest,
      {
        ...env,
        VAULT_TOKEN: restoreToken,
      },
    );
  });
});
