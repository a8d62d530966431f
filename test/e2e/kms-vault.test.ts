/**
 * Several providers at once: the daemon seals with an AWS KMS key and a Vault Transit key (both emulated
 * on the wire, real clients in the daemon); the set restores with either provider alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDfsSet } from '../helpers/dfs-writer.js';
import { runCli } from '../helpers/cli.js';
import { publishedSets } from '../helpers/sealed.js';
import { workspace, type Workspace } from '../helpers/watch-fixtures.js';
import { KmsEmulator } from '../emulators/kms-emulator.js';
import { VaultEmulator } from '../emulators/vault-emulator.js';

let ws: Workspace | undefined;
let kms: KmsEmulator | undefined;
let vault: VaultEmulator | undefined;
afterEach(async () => {
  await kms?.stop();
  await vault?.close();
  await ws?.cleanup();
  kms = vault = ws = undefined;
});

describe('KMS + Vault at once', () => {
  it('seals with both; restores with KMS alone and with Vault alone', async () => {
    ws = await workspace();
    kms = await KmsEmulator.start();
    kms.createKey({ alias: 'alias/snapshots' });
    vault = await VaultEmulator.start();
    vault.engine().createKey('snapshots', true);
    const env = {
      ...kms.env(),
      VAULT_TOKEN: vault.createToken({ ttl: 3600 }),
      VAULT_NAMESPACE: undefined,
      VAULT_CACERT: undefined,
    };
    const kmsArgs = ['--kms-key-id', 'alias/snapshots', '--kms-endpoint', kms.endpoint];
    const vaultArgs = ['--vault-addr', vault.addr, '--vault-key', 'snapshots'];
    const snap = await writeDfsSet({ dir: ws.df, stem: 'dump-both', shards: 3, bytesPerShard: 50_000 });
    const sealed = await runCli(
      ['watch', '--dir', ws.df, '--out', ws.out, ...kmsArgs, ...vaultArgs, '--once', '--metrics-addr', 'off'],
      { env },
    );
    expect(sealed.code, sealed.stderr).toBe(0);
    // One data key for the set: one GenerateDataKey (first provider), one Transit encrypt (second).
    expect(kms.count('GenerateDataKey')).toBe(1);
    expect(vault.calls('transit/encrypt/snapshots')).toBe(1);
    expect(vault.calls('transit/datakey/plaintext/snapshots')).toBe(0);
    const [id] = await publishedSets(ws.out);
    const list = await runCli(['list', '--from', ws.out, '--json']);
    expect(list.stdout.toString()).toContain('transit/snapshots');
    expect(list.stdout.toString()).toContain('arn:aws:kms:');

    for (const [label, keyArgs] of [
      ['kms', kmsArgs],
      ['vault', vaultArgs],
    ] as const) {
      const to = join(ws.root, `restored-${label}`);
      const r = await runCli(['restore', '--from', ws.out, '--set', id!, '--to', to, ...keyArgs], { env });
      expect(r.code, `${label}: ${r.stderr}`).toBe(0);
      for (const [name, bytes] of snap.contents)
        expect((await readFile(join(to, name))).equals(bytes)).toBe(true);
    }
    // Each restore unwrapped once, with its own provider only.
    expect(kms.count('Decrypt')).toBe(1);
    expect(vault.calls('transit/decrypt/snapshots')).toBe(1);
  });
});
