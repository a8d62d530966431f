/** Parsing of the Vault flags and of Vault's error bodies, without a server. */
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { displayAddr, vaultErrorText } from '../../../src/keys/vault/http.js';
import { parseVaultKey, vaultFactory } from '../../../src/keys/vault/settings.js';
import { settingsFromArgs } from '../../helpers/config-args.js';

const savedEnv = { ...process.env };

afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

/** Providers configured by the flags of `decrypt`, with the current environment. */
async function providersFor(args: string[]) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return vaultFactory.fromSettings(await settingsFromArgs('decrypt', ['-o', 'x', ...args], env));
}

describe('vault options', () => {
  it('parses key specs: NAME uses --vault-mount, MOUNT/NAME names its own mount', () => {
    expect(parseVaultKey('snapshots', 'transit')).toEqual({ mount: 'transit', name: 'snapshots' });
    expect(parseVaultKey('secrets/transit/k-1', 'transit')).toEqual({
      mount: 'secrets/transit',
      name: 'k-1',
    });
    expect(parseVaultKey('/transit/k', 'x')).toEqual({ mount: 'transit', name: 'k' });
    for (const bad of ['', 'a b', 'transit/', '../k', 'transit//k']) {
      expect(() => parseVaultKey(bad, 'transit'), bad).toThrow(UserError);
    }
  });

  it('builds one provider per --vault-key, with key ids MOUNT/NAME', async () => {
    process.env.VAULT_TOKEN = 'hvs.test';
    // prettier-ignore
    const providers = await providersFor([
      '--vault-addr', 'http://127.0.0.1:8200', '--vault-key', 'a', '--vault-key', 'other/b', '--vault-mount', 'tr',
    ]);
    expect(providers.map((p) => p.keyId)).toEqual(['tr/a', 'other/b']);
    expect(providers[0]?.description).toBe('Vault key tr/a (http://127.0.0.1:8200)');
    for (const p of providers) await p.close?.();
  });

  it('reads VAULT_ADDR and SNAPSHOT_GUARD_VAULT_KEY from the environment; no key means no provider', async () => {
    process.env.VAULT_TOKEN = 'hvs.test';
    expect(await providersFor([])).toEqual([]);
    process.env.VAULT_ADDR = 'https://vault.example:8200';
    process.env.SNAPSHOT_GUARD_VAULT_KEY = 'snapshots';
    const [p] = await providersFor([]);
    expect(p?.keyId).toBe('transit/snapshots');
    await p?.close?.();
  });

  it('refuses incomplete or malformed settings with usage errors', async () => {
    process.env.VAULT_TOKEN = 'hvs.test';
    // prettier-ignore
    const cases: Array<[string[], RegExp]> = [
      [['--vault-key', 'k'], /needs the Vault address/],
      [['--vault-key', 'k', '--vault-addr', 'vault:8200'], /not an http:\/\/ or https:\/\/ URL/],
      [['--vault-key', 'k', '--vault-addr', 'http://v', '--vault-auth', 'approle'], /needs --vault-role-id-file/],
      [['--vault-key', 'k', '--vault-addr', 'http://v', '--vault-ca-cert', '/nonexistent/ca.pem'], /cannot read the Vault CA certificate \/nonexistent\/ca\.pem \(ENOENT\)/],
    ];
    for (const [args, message] of cases)
      await expect(providersFor(args), args.join(' ')).rejects.toThrow(message);
  });

  it('turns Vault error bodies into one line', () => {
    expect(vaultErrorText({ errors: ['1 error occurred:\n\t* permission denied\n\n'] })).toBe(
      'permission denied',
    );
    expect(
      vaultErrorText({ errors: ['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n'] }),
    ).toBe('permission denied; invalid token');
    expect(vaultErrorText({ errors: ['Vault is sealed'] })).toBe('Vault is sealed');
    expect(vaultErrorText('<html>bad gateway</html>')).toBe('');
  });

  it('never shows user info of the address', () => {
    expect(displayAddr('https://user:pass@vault.example:8200/')).toBe('https://vault.example:8200');
  });
});
