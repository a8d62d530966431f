/**
 * The daemon with Vault Transit (emulated on the wire; the real node-vault client inside the daemon):
 * a sealed Vault keeps the plaintext until it is unsealed; short-lived AppRole tokens are re-obtained
 * mid-run without losing a snapshot; one datakey call per set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeDfsSet } from '../helpers/dfs-writer.js';
import { Daemon, eventually } from '../helpers/daemon.js';
import { publishedSets } from '../helpers/sealed.js';
import { runCli } from '../helpers/cli.js';
import { workspace, type Workspace, leftInDir } from '../helpers/watch-fixtures.js';
import { VaultEmulator } from '../emulators/vault-emulator.js';

let ws: Workspace | undefined;
let daemon: Daemon | undefined;
let vault: VaultEmulator | undefined;
afterEach(async () => {
  await daemon?.kill();
  await vault?.close();
  await ws?.cleanup();
  daemon = vault = ws = undefined;
});

const noHostVault = { VAULT_NAMESPACE: undefined, VAULT_CACERT: undefined, VAULT_TOKEN: undefined };

async function appRoleArgs(w: Workspace, v: VaultEmulator, ttlSeconds: number): Promise<string[]> {
  v.addAppRole('role-1', 'secret-1', { ttl: ttlSeconds, renewable: false });
  await writeFile(join(w.root, 'role-id'), 'role-1', { mode: 0o600 });
  await writeFile(join(w.root, 'secret-id'), 'secret-1', { mode: 0o600 });
  return [
    '--vault-addr',
    v.addr,
    '--vault-key',
    'snapshots',
    '--vault-auth',
    'approle',
    '--vault-role-id-file',
    join(w.root, 'role-id'),
    '--vault-secret-id-file',
    join(w.root, 'secret-id'),
  ];
}

function daemonArgs(w: Workspace, keyArgs: string[]): string[] {
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
  ];
}

describe('watch with Vault Transit', () => {
  it('a sealed Vault keeps the plaintext until it is unsealed; one datakey call per set', async () => {
    ws = await workspace();
    vault = await VaultEmulator.start();
    vault.engine().createKey('snapshots', true);
    daemon = Daemon.start(daemonArgs(ws, await appRoleArgs(ws, vault, 3600)), noHostVault);
    await daemon.waitFor((l) => l.msg === 'watching for finished snapshots');
    await writeDfsSet({ dir: ws.df, stem: 'dump-a', shards: 4, bytesPerShard: 30_000 });
    await daemon.waitForSealed(1);
    expect(vault.calls('transit/datakey/plaintext/snapshots')).toBe(1);

    vault.sealed = true;
    const b = await writeDfsSet({ dir: ws.df, stem: 'dump-b', shards: 2, bytesPerShard: 30_000 });
    await daemon.waitFor((l) => l.reason === 'key_provider', 60_000, 'a key_provider failure while sealed');
    // Wait for the retry after backoff to fail too, then check nothing was lost or logged twice.
    const attempts = vault.calls('transit/datakey/plaintext/snapshots');
    await eventually(() => vault!.calls('transit/datakey/plaintext/snapshots') > attempts, 30_000, 'a retry');
    for (const [name, bytes] of b.contents)
      expect((await readFile(join(ws.df, name))).equals(bytes)).toBe(true);
    expect(await publishedSets(ws.out)).toHaveLength(1);
    expect(daemon.count((l) => l.level === 50 && l.reason === 'key_provider')).toBe(1); // once per state change

    vault.sealed = false;
    await daemon.waitForSealed(2, 60_000);
    await eventually(async () => (await leftInDir(ws!.df)).length === 0, 30_000, 'plaintext removed');
    const restored = join(ws.root, 'restored');
    const ids = await publishedSets(ws.out);
    const r = await runCli(
      [
        'restore',
        '--from',
        ws.out,
        '--set',
        ids[1]!,
        '--to',
        restored,
        '--vault-addr',
        vault.addr,
        '--vault-key',
        'snapshots',
      ],
      { env: { ...noHostVault, VAULT_TOKEN: vault.createToken({ ttl: 600 }) } },
    );
    expect(r.code, r.stderr).toBe(0);
    for (const [name, bytes] of b.contents)
      expect((await readFile(join(restored, name))).equals(bytes)).toBe(true);
  });

  it('short-lived tokens expire between snapshots and are re-obtained without losing one', async () => {
    ws = await workspace();
    vault = await VaultEmulator.start();
    vault.engine().createKey('snapshots', true);
    daemon = Daemon.start(daemonArgs(ws, await appRoleArgs(ws, vault, 2)), noHostVault);
    await daemon.waitFor((l) => l.msg === 'watching for finished snapshots');
    for (let i = 0; i < 3; i++) {
      await writeDfsSet({ dir: ws.df, stem: `dump-${i}`, shards: 1, bytesPerShard: 10_000 });
      await daemon.waitForSealed(i + 1, 60_000);
      await sleep(2500); // longer than the token's TTL
    }
    expect(await publishedSets(ws.out)).toHaveLength(3);
    expect(vault.calls('auth/approle/login')).toBeGreaterThanOrEqual(2);
    expect(daemon.count((l) => l.level >= 50)).toBe(0);
    expect(daemon.logs.map((l) => JSON.stringify(l)).join('\n')).not.toMatch(/hvs\./); // no token in logs
  });
});
