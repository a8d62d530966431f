/** The Vault Transit provider against the emulator: wrapping, contexts, rotation, namespaces, mounts. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/keys/keyring.js';
import { LocalKeyProvider } from '../../../src/keys/local/provider.js';
import { KeyProviderError } from '../../../src/keys/errors.js';
import { vaultKeyContext, type VaultTransitProvider } from '../../../src/keys/vault/provider.js';
import { VaultEmulator } from '../../emulators/vault-emulator.js';
import { keyContext, vaultProvider, vaultWrite, type ProviderOptions } from '../../helpers/vault.js';
import { randomBytes } from 'node:crypto';

let emu: VaultEmulator;
const open: VaultTransitProvider[] = [];

function provider(name: string, o?: ProviderOptions): VaultTransitProvider {
  const p = vaultProvider(emu, name, o);
  open.push(p);
  return p;
}

beforeEach(async () => {
  emu = await VaultEmulator.start();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
  await emu.close();
});

describe('vault provider', () => {
  it('generates a data key with one datakey call and unwraps it again', async () => {
    emu.engine().createKey('snapshots');
    const p = provider('snapshots');
    const ctx = keyContext();
    const { plaintext, wrapped } = await p.generateDataKey(ctx);
    expect(plaintext).toHaveLength(32);
    expect(wrapped).toMatchObject({ provider: 'vault', keyId: 'transit/snapshots' });
    expect(wrapped.blob.toString()).toMatch(/^vault:v1:/);
    expect(emu.calls('transit/datakey/plaintext/snapshots')).toBe(1);
    expect(p.canUnwrap(wrapped)).toBe(true);
    expect(p.canUnwrap({ ...wrapped, keyId: 'other/snapshots' })).toBe(false);
    expect(await p.unwrap(wrapped, ctx)).toEqual(plaintext);
  });

  it('wraps an existing data key with encrypt when another provider generated it', async () => {
    emu.engine().createKey('snapshots', true);
    const vault = provider('snapshots');
    const keyring = new Keyring([LocalKeyProvider.fromKey(randomBytes(32)), vault]);
    const ctx = keyContext();
    const set = await keyring.newDataKey(ctx);
    expect(emu.calls('transit/encrypt/snapshots')).toBe(1);
    expect(emu.calls('transit/datakey/plaintext/snapshots')).toBe(0);
    const vaultCopy = set.wrapped.find((w) => w.provider === 'vault');
    expect(vaultCopy).toBeDefined();
    if (vaultCopy) expect(await vault.unwrap(vaultCopy, ctx)).toEqual(set.plaintext);
  });

  it('binds a derived key to the context: the right one works, another fails clearly', async () => {
    await vaultWrite(emu, 'transit/keys/derived', { derived: true });
    const p = provider('derived');
    const ctx = keyContext();
    const { plaintext, wrapped } = await p.generateDataKey(ctx);
    expect(await p.unwrap(wrapped, ctx)).toEqual(plaintext);
    const other = { ...ctx, setId: `${ctx.setId}-other` };
    const err = await p.unwrap(wrapped, other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyProviderError);
    expect((err as KeyProviderError).transient).toBe(false);
    expect((err as Error).message).toMatch(/context \(instance, set id\) does not match/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('sends the documented context bytes (label, instance, set id) base64-encoded', () => {
    const ctx = { instance: 'i', setId: 's' };
    const expected = Buffer.concat([
      Buffer.from('snapshot-guard v1 vault context\0', 'latin1'),
      Buffer.from([0, 1]),
      Buffer.from('i'),
      Buffer.from([0, 1]),
      Buffer.from('s'),
    ]);
    expect(vaultKeyContext(ctx)).toEqual(expected);
  });

  it('rewraps to the new version after rotation; raising min_decryption_version locks out v1', async () => {
    emu.engine().createKey('snapshots', true);
    const p = provider('snapshots');
    const ctx = keyContext();
    const { plaintext, wrapped } = await p.generateDataKey(ctx);
    expect(await vaultWrite(emu, 'transit/keys/snapshots/rotate')).toMatchObject({
      data: { latest_version: 2 },
    });
    const rewrapped = await p.rewrap(wrapped, ctx);
    expect(rewrapped.blob.toString()).toMatch(/^vault:v2:/);
    expect(rewrapped.keyId).toBe('transit/snapshots');
    expect(await p.unwrap(rewrapped, ctx)).toEqual(plaintext);
    expect(await p.unwrap(wrapped, ctx)).toEqual(plaintext);

    await vaultWrite(emu, 'transit/keys/snapshots/config', { min_decryption_version: 2 });
    const err = await p.unwrap(wrapped, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyProviderError);
    expect((err as Error).message).toMatch(/key version v1, below the key's min_decryption_version/);
    expect(await p.unwrap(rewrapped, ctx)).toEqual(plaintext);
  });

  it('names a missing key and how to create it', async () => {
    const err = await provider('nope')
      .generateDataKey(keyContext())
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /Vault key transit\/nope .* does not exist .*vault write -f transit\/keys\/nope/,
    );
  });

  it('rejects a header blob that is not a Vault ciphertext without calling Vault', async () => {
    emu.engine().createKey('snapshots');
    const p = provider('snapshots');
    const bad = { provider: 'vault', keyId: 'transit/snapshots', blob: Buffer.from('garbage') };
    await expect(p.unwrap(bad, keyContext())).rejects.toThrow(/not a Vault ciphertext/);
    expect(emu.calls('transit/decrypt/snapshots')).toBe(0);
  });

  it('reports a damaged Vault ciphertext clearly', async () => {
    emu.engine().createKey('snapshots');
    const p = provider('snapshots');
    const ctx = keyContext();
    const { wrapped } = await p.generateDataKey(ctx);
    const text = wrapped.blob.toString();
    const flipped = `${text.slice(0, 12)}${text[12] === 'A' ? 'B' : 'A'}${text.slice(13)}`;
    const err = await p.unwrap({ ...wrapped, blob: Buffer.from(flipped) }, ctx).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/could not decrypt the data key/);
  });

  it('uses the namespace: keys of namespace team-a are reached with X-Vault-Namespace', async () => {
    emu.addNamespace('team-a');
    emu.enableTransit('transit', 'team-a').createKey('snapshots', true);
    const token = emu.createToken({ ttl: 3600, namespace: 'team-a' });
    const p = provider('snapshots', { namespace: 'team-a', auth: { method: 'token', token } });
    const ctx = keyContext();
    const { plaintext, wrapped } = await p.generateDataKey(ctx);
    expect(await p.unwrap(wrapped, ctx)).toEqual(plaintext);
    expect(emu.calls('team-a/transit/datakey/plaintext/snapshots')).toBe(1);
    expect(emu.requests.every((r) => r.namespaceHeader === 'team-a')).toBe(true);
    // The root namespace has no such key.
    await expect(provider('snapshots').generateDataKey(ctx)).rejects.toThrow(/does not exist/);
  });

  it('works with a Transit engine mounted elsewhere', async () => {
    emu.enableTransit('secrets/transit').createKey('k');
    const p = provider('k', { mount: 'secrets/transit' });
    expect(p.keyId).toBe('secrets/transit/k');
    const ctx = keyContext();
    const { plaintext, wrapped } = await p.generateDataKey(ctx);
    expect(await p.unwrap(wrapped, ctx)).toEqual(plaintext);
    expect(emu.calls('secrets/transit/datakey/plaintext/k')).toBe(1);
  });

  it('check() succeeds against a healthy Vault', async () => {
    await expect(provider('any').check()).resolves.toBeUndefined();
    expect(emu.calls('auth/token/lookup-self')).toBeGreaterThanOrEqual(1);
  });
});
