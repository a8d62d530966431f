/**
 * Token life cycle of the Vault provider against the emulator: renewal before expiry, logging in again
 * (AppRole, Kubernetes) when renewal is no longer possible or a token was rejected, token files that
 * are rewritten by an agent, and timers that stop on close().
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VaultAuthConfig } from '../../../src/keys/vault/login.js';
import type { VaultTransitProvider } from '../../../src/keys/vault/provider.js';
import { VaultEmulator } from '../../emulators/vault-emulator.js';
import { keyContext, vaultProvider, waitFor } from '../../helpers/vault.js';

let emu: VaultEmulator;
let dir: string;
const open: VaultTransitProvider[] = [];

function provider(auth: VaultAuthConfig): VaultTransitProvider {
  const p = vaultProvider(emu, 'snapshots', { auth });
  open.push(p);
  return p;
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, `${content}\n`, { mode: 0o600 });
  return path;
}

function approle(): VaultAuthConfig {
  return {
    method: 'approle',
    roleIdFile: file('role-id', 'role-1'),
    secretIdFile: file('secret-id', 's3cr3t-id'),
    mount: 'approle',
  };
}

function kubernetes(): VaultAuthConfig {
  return {
    method: 'kubernetes',
    role: 'snapshot-guard',
    jwtFile: file('sa-token', 'eyJhbGciOi.jwt.sig'),
    mount: 'kubernetes',
  };
}

/** Generates a data key, runs `meanwhile`, then checks the key still unwraps. */
async function roundTrip(p: VaultTransitProvider, meanwhile: () => Promise<void> | void): Promise<void> {
  const ctx = keyContext();
  const { plaintext, wrapped } = await p.generateDataKey(ctx);
  await meanwhile();
  expect(await p.unwrap(wrapped, ctx)).toEqual(plaintext);
}

beforeEach(async () => {
  emu = await VaultEmulator.start();
  emu.engine().createKey('snapshots', true);
  dir = mkdtempSync(join(tmpdir(), 'sg-vault-auth-'));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vault token life cycle', () => {
  it('renews a renewable token before it expires, so it outlives its first TTL', async () => {
    const token = emu.createToken({ ttl: 4, renewable: true });
    const created = Date.now();
    await roundTrip(provider({ method: 'token', token }), () =>
      waitFor(
        () => emu.calls('auth/token/renew-self') >= 1 && Date.now() > created + 4500,
        'a renewal and the end of the first TTL',
      ),
    );
    expect(emu.tokenTtl(token)).toBeGreaterThan(0);
  });

  it('logs in again with AppRole when the non-renewable token nears its end', async () => {
    emu.addAppRole('role-1', 's3cr3t-id', { ttl: 2 });
    await roundTrip(provider(approle()), async () => {
      await waitFor(() => emu.calls('auth/approle/login') >= 2, 'a second AppRole login');
      const [first] = emu.issuedTokens();
      await waitFor(() => (emu.tokenTtl(first ?? '') ?? 0) < 0, 'the first token to expire');
    });
  });

  it('logs in again with Kubernetes auth when renewal reaches the max TTL', async () => {
    emu.addKubernetesRole('snapshot-guard', 'eyJhbGciOi.jwt.sig', { ttl: 2, renewable: true, maxTtl: 3 });
    await roundTrip(provider(kubernetes()), () =>
      waitFor(() => emu.calls('auth/kubernetes/login') >= 2, 'a second Kubernetes login'),
    );
    expect(emu.calls('auth/token/renew-self')).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['AppRole', 'auth/approle/login'],
    ['Kubernetes', 'auth/kubernetes/login'],
  ])('re-obtains a rejected %s token once and retries the request', async (kind, loginPath) => {
    emu.addAppRole('role-1', 's3cr3t-id', { ttl: 3600 });
    emu.addKubernetesRole('snapshot-guard', 'eyJhbGciOi.jwt.sig', { ttl: 3600 });
    const p = provider(kind === 'AppRole' ? approle() : kubernetes());
    await roundTrip(p, () => {
      for (const t of emu.issuedTokens()) emu.expireToken(t);
    });
    expect(emu.responses(403)).toBe(1);
    expect(emu.calls(loginPath)).toBe(2);
  });

  it('re-reads a token file that an agent rewrote after Vault rejected the old token', async () => {
    const first = emu.createToken({ ttl: 3600 });
    const path = file('token', first);
    await roundTrip(provider({ method: 'token', tokenFile: path }), () => {
      emu.expireToken(first);
      file('token', emu.createToken({ ttl: 3600 }));
    });
    expect(emu.responses(403)).toBe(1);
  });

  it('never sends the login secrets or tokens anywhere but the request bodies and headers', async () => {
    emu.addAppRole('role-1', 's3cr3t-id', { ttl: 3600 });
    const p = provider(approle());
    await roundTrip(p, () => undefined);
    expect(emu.requests.map((r) => r.path).join(' ')).not.toMatch(/s3cr3t|role-1|hvs\./);
  });

  it('stops renewing after close()', async () => {
    const token = emu.createToken({ ttl: 2, renewable: true });
    const created = Date.now();
    const p = provider({ method: 'token', token });
    await p.check();
    await p.close();
    // Renewal was due 2/3 into the TTL; wait past the whole TTL (a slow machine only waits longer).
    await waitFor(() => Date.now() > created + 2500, 'the token TTL to pass');
    expect(emu.calls('auth/token/renew-self')).toBe(0);
  });
});
