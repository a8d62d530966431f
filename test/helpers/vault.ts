/** Shared set-up for the Vault provider tests: an emulator and providers talking to it. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyContext } from '../../src/keys/provider.js';
import type { RetryPolicy } from '../../src/keys/vault/http.js';
import type { VaultAuthConfig } from '../../src/keys/vault/login.js';
import { VaultTransitProvider } from '../../src/keys/vault/provider.js';
import { VaultSession } from '../../src/keys/vault/session.js';
import { VaultEmulator } from '../emulators/vault-emulator.js';

/** Quick retries so failure tests stay fast; the CLI uses the real defaults. */
export const FAST_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 };

export interface ProviderOptions {
  auth?: VaultAuthConfig;
  namespace?: string;
  mount?: string;
  addr?: string;
  caCert?: Buffer;
  timeoutMs?: number;
}

export function vaultProvider(
  emu: VaultEmulator,
  name: string,
  o: ProviderOptions = {},
): VaultTransitProvider {
  const session = new VaultSession(
    {
      addr: o.addr ?? emu.addr,
      retry: FAST_RETRY,
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.caCert ? { caCert: o.caCert } : {}),
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    },
    o.auth ?? { method: 'token', token: emu.rootToken },
  );
  return new VaultTransitProvider(session, o.mount ?? 'transit', name);
}

export function keyContext(): KeyContext {
  return { instance: 'dragonfly-0', setId: `set-${randomBytes(4).toString('hex')}` };
}

/** POSTs to the emulator's HTTP API as the root token, the way an operator's `vault write` would. */
export async function vaultWrite(emu: VaultEmulator, path: string, body: object = {}): Promise<unknown> {
  const res = await fetch(`${emu.addr}/v1/${path}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': emu.rootToken, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`vault write ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** Polls `condition` every 50 ms; fails after `timeoutMs` (generous: only a hung test should reach it). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
