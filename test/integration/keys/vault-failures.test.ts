import { closedPort } from '../../helpers/ports.js';
/**
 * How the Vault provider fails: temporary failures are retried and then reported as transient,
 * refusals are reported at once, and every message is one line that never contains a token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyProviderError } from '../../../src/keys/errors.js';
import type { VaultTransitProvider } from '../../../src/keys/vault/provider.js';
import { VaultEmulator } from '../../emulators/vault-emulator.js';
import { selfSignedCertificate } from '../../emulators/vault-tls.js';
import { FAST_RETRY, keyContext, vaultProvider, type ProviderOptions } from '../../helpers/vault.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function emulator(opts?: Parameters<typeof VaultEmulator.start>[0]): Promise<VaultEmulator> {
  const emu = await VaultEmulator.start(opts);
  cleanups.push(() => emu.close());
  emu.engine().createKey('snapshots', true);
  return emu;
}

function provider(emu: VaultEmulator, o?: ProviderOptions): VaultTransitProvider {
  const p = vaultProvider(emu, 'snapshots', o);
  cleanups.push(() => p.close());
  return p;
}

async function failure(promise: Promise<unknown>): Promise<KeyProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeyProviderError);
  expect((err as Error).message).not.toContain('\n');
  return err as KeyProviderError;
}

describe('vault provider failures', () => {
  it('a sealed Vault is retried, then reported as transient with a clear message', async () => {
    const emu = await emulator();
    const p = provider(emu);
    await p.check(); // authenticated while unsealed
    emu.sealed = true;
    const err = await failure(p.generateDataKey(keyContext()));
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(
      /^Vault at http:\/\/127\.0\.0\.1:\d+ is sealed and cannot generate a data key/,
    );
    expect(err.message).toMatch(/vault operator unseal/);
    expect(emu.calls('transit/datakey/plaintext/snapshots')).toBe(FAST_RETRY.attempts);
    emu.sealed = false;
    await expect(p.generateDataKey(keyContext())).resolves.toBeDefined();
  });

  it('temporary 5xx answers and dropped connections are retried until they succeed', async () => {
    const emu = await emulator();
    const p = provider(emu);
    const ctx = keyContext();
    emu.failNext(1, { status: 500, errors: ['internal error'] }, 'datakey');
    emu.failNext(1, 'reset', 'datakey');
    const { plaintext, wrapped } = await p.generateDataKey(ctx);
    expect(emu.calls('transit/datakey/plaintext/snapshots')).toBe(3);
    emu.failNext(2, { status: 429, errors: ['rate limit quota exceeded'] }, 'decrypt');
    expect(await p.unwrap(wrapped, ctx)).toEqual(plaintext);
  });

  it('a request that gets no answer times out and is retried', async () => {
    const emu = await emulator();
    const p = provider(emu, { timeoutMs: 1500 });
    await p.check();
    emu.failNext(1, 'hang', 'datakey');
    await expect(p.generateDataKey(keyContext())).resolves.toBeDefined();
    expect(emu.calls('transit/datakey/plaintext/snapshots')).toBe(2);
  });

  it('an address nobody listens on ends in a transient "cannot reach" message', async () => {
    const emu = await emulator();
    const port = await closedPort();
    const p = provider(emu, { addr: `http://127.0.0.1:${port}` });
    const err = await failure(p.generateDataKey(keyContext()));
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(
      new RegExp(
        `^cannot reach Vault at http://127\\.0\\.0\\.1:${port} .*ECONNREFUSED after 3 attempts; check --vault-addr`,
      ),
    );
  });

  it('a bad token is refused at once, and the message does not contain it', async () => {
    const emu = await emulator();
    const token = 'hvs.this-token-is-not-known-to-vault';
    const p = provider(emu, { auth: { method: 'token', token } });
    const err = await failure(p.generateDataKey(keyContext()));
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(/rejected the token from VAULT_TOKEN \(permission denied\)/);
    expect(err.message).not.toContain(token);
    expect(emu.calls('auth/token/lookup-self')).toBe(1);
  });

  it('a token that expires and cannot be renewed gives a clear 403 message without the token', async () => {
    const emu = await emulator();
    const token = emu.createToken({ ttl: 3600 });
    const p = provider(emu, { auth: { method: 'token', token } });
    const ctx = keyContext();
    const { wrapped } = await p.generateDataKey(ctx);
    emu.expireToken(token);
    const err = await failure(p.unwrap(wrapped, ctx));
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(
      /denied the request to unwrap a data key with transit\/snapshots \(permission denied\)/,
    );
    expect(err.message).not.toContain(token);
  });

  it('a Transit mount that does not exist is named', async () => {
    const emu = await emulator();
    const err = await failure(provider(emu, { mount: 'transit-typo' }).generateDataKey(keyContext()));
    expect(err.message).toMatch(/has nothing at transit-typo\/datakey\/plaintext\/snapshots .*--vault-mount/);
  });

  it('verifies TLS: an unknown CA is refused clearly, --vault-ca-cert makes it work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-vault-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { key, cert } = selfSignedCertificate(dir);
    const emu = await emulator({ tls: { key, cert } });
    const err = await failure(provider(emu).generateDataKey(keyContext()));
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(
      /^TLS verification of Vault at https:\/\/127\.0\.0\.1:\d+ failed \(.+\); pass .*--vault-ca-cert/,
    );
    const ok = provider(emu, { caCert: cert });
    const ctx = keyContext();
    const { plaintext, wrapped } = await ok.generateDataKey(ctx);
    expect(await ok.unwrap(wrapped, ctx)).toEqual(plaintext);
  });
});
