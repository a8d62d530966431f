/**
 * Key rotation with a provider that re-wraps server-side (Vault Transit `rewrap`, against the Vault
 * emulator over real HTTP): a copy under the same Vault key moves to the key's newest version without
 * the data key leaving Vault; a local key is then dropped and Vault alone restores the set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { VaultEmulator } from '../../emulators/vault-emulator.js';
import { PullReader } from '../../../src/format/chunks.js';
import { readHeader } from '../../../src/format/file.js';
import { readChunks } from '../../../src/io/durable.js';
import { restoreWorkspace, sealDfs, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
let emu: VaultEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  await ws?.cleanup();
  ws = emu = undefined;
});

async function manifestKeys(dir: string): Promise<{ id: string; blob: string }[]> {
  const reader = new PullReader(readChunks(join(dir, 'manifest.sgm')));
  const h = await readHeader(reader);
  await reader.close();
  return h.wrappedKeys.map((w) => ({
    id: `${w.provider}:${w.keyId}`,
    blob: w.provider === 'vault' ? w.blob.toString() : '',
  }));
}

describe('rewrap with Vault Transit', () => {
  it('adds a Vault copy, moves it to the newest key version with Vault rewrap, then drops the local key', async () => {
    ws = await restoreWorkspace();
    emu = await VaultEmulator.start();
    emu.engine().createKey('snapshots', true);
    const env = {
      VAULT_ADDR: emu.addr,
      VAULT_TOKEN: emu.createToken({ ttl: 3600 }),
      VAULT_NAMESPACE: undefined,
      VAULT_CACERT: undefined,
    };
    const set = await sealDfs(ws, { shards: 2 });
    const dir = join(ws.sealed, set.setId);

    const add = await runCli(
      ['rewrap', '--from', ws.sealed, '--key-file', ws.keyA, '--to-key', 'vault:snapshots'],
      { env },
    );
    expect(add.code, add.stderr).toBe(0);
    expect(emu.calls('transit/encrypt/snapshots')).toBe(1); // one wrap per set, not per file
    let keys = await manifestKeys(dir);
    expect(keys.map((k) => k.id)).toEqual([`local:${ws.fingerprintA}`, expect.stringMatching(/^vault:/)]);
    expect(keys[1]?.blob).toMatch(/^vault:v1:/);

    emu.engine().rotate('snapshots');
    const rotate = await runCli(
      [
        'rewrap',
        '--from',
        ws.sealed,
        '--vault-key',
        'snapshots',
        '--to-key',
        'vault:snapshots',
        '--drop-key',
        `file:${ws.keyA}`,
      ],
      { env },
    );
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(emu.calls('transit/rewrap/snapshots')).toBe(1);
    expect(emu.calls('transit/encrypt/snapshots')).toBe(1); // no new wrap: the existing copy was re-wrapped
    keys = await manifestKeys(dir);
    expect(keys).toHaveLength(1);
    expect(keys[0]?.blob).toMatch(/^vault:v2:/);
    // Every file of the set carries the same new wrapping.
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.sg'))) {
      const reader = new PullReader(readChunks(join(dir, name)));
      const h = await readHeader(reader);
      await reader.close();
      expect(h.wrappedKeys.map((w) => w.blob.toString())).toEqual([keys[0]?.blob]);
    }

    const restore = await runCli(
      ['restore', '--from', ws.sealed, '--latest', '--to', ws.target, '--vault-key', 'snapshots'],
      { env },
    );
    expect(restore.code, restore.stderr).toBe(0);
    for (const [name, bytes] of set.contents)
      expect((await readFile(join(ws.target, name))).equals(bytes)).toBe(true);
    const oldKey = await runCli(['verify', '--from', ws.sealed, '--key-file', ws.keyA]);
    expect(oldKey.code).toBe(4); // no key that opens it: not damage
  });
});
