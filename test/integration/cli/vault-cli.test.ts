/**
 * The built CLI with Vault Transit keys, against the Vault emulator: flags and VAULT_* environment,
 * one datakey call per encrypt, Vault combined with a local key, and one-line errors without tokens.
 * Needs `npm run build` first.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { closedPort } from '../../helpers/ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { VaultEmulator } from '../../emulators/vault-emulator.js';
import { selfSignedCertificate } from '../../emulators/vault-tls.js';

let emu: VaultEmulator;
/** Further emulators a test started; closed after it. */
const others: VaultEmulator[] = [];
let dir: string;
let input: string;
const plaintext = randomBytes(300_000);

/** Environment of a CLI run talking to the emulator; nothing from the developer's own Vault leaks in. */
function vaultEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    VAULT_ADDR: emu.addr,
    VAULT_TOKEN: emu.createToken({ ttl: 3600, renewable: true }),
    VAULT_NAMESPACE: undefined,
    VAULT_CACERT: undefined,
    ...extra,
  };
}

const NO_VAULT = {
  VAULT_ADDR: undefined,
  VAULT_TOKEN: undefined,
  VAULT_NAMESPACE: undefined,
  VAULT_CACERT: undefined,
};

function expectOneLineError(r: CliResult, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

async function encrypt(
  out: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<CliResult> {
  return runCli(['encrypt', input, '-o', out, '--instance', 'df-0', ...args], { env });
}

async function decryptsBack(
  enc: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<void> {
  const out = join(dir, `dec-${randomBytes(3).toString('hex')}`);
  const r = await runCli(['decrypt', enc, '-o', out, ...args], { env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(readFileSync(out).equals(plaintext)).toBe(true);
}

beforeEach(async () => {
  emu = await VaultEmulator.start();
  emu.engine().createKey('snapshots', true);
  dir = mkdtempSync(join(tmpdir(), 'sg-vault-cli-'));
  input = join(dir, 'dump.rdb');
  writeFileSync(input, plaintext);
});

afterEach(async () => {
  await Promise.all(others.splice(0).map((e) => e.close()));
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CLI with Vault Transit', () => {
  it('encrypts with one datakey call and decrypts with Vault', async () => {
    const enc = join(dir, 'dump.rdb.sg');
    const r = await encrypt(enc, ['--vault-key', 'snapshots'], vaultEnv());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(emu.calls('transit/datakey/plaintext/snapshots')).toBe(1);
    expect(readFileSync(enc).includes('vault:v1:')).toBe(true);
    expect(readFileSync(enc).includes('transit/snapshots')).toBe(true);
    await decryptsBack(enc, ['--vault-key', 'transit/snapshots'], vaultEnv());
    expect(emu.calls('transit/decrypt/snapshots')).toBe(1);
    expect(emu.calls('transit/datakey/plaintext/snapshots')).toBe(1);
  });

  it('encrypts with Vault and a local key; either alone decrypts', async () => {
    const keyFile = join(dir, 'local.key');
    expect((await runCli(['keygen', '--out', keyFile])).code).toBe(0);
    const enc = join(dir, 'both.sg');
    const r = await encrypt(enc, ['--key-file', keyFile, '--vault-key', 'snapshots'], vaultEnv());
    expect(r.stderr).toBe('');
    expect(emu.calls('transit/encrypt/snapshots')).toBe(1);
    await decryptsBack(enc, ['--key-file', keyFile], NO_VAULT);
    expect(emu.calls('transit/decrypt/snapshots')).toBe(0);
    await decryptsBack(enc, ['--vault-key', 'snapshots'], vaultEnv());
    expect(emu.calls('transit/decrypt/snapshots')).toBe(1);
  });

  it('logs in with AppRole to encrypt and with Kubernetes auth to decrypt', async () => {
    emu.addAppRole('role-7', 'secret-7f3a', { ttl: 60 });
    emu.addKubernetesRole('sg', 'k8s.jwt.value', { ttl: 60, mount: 'k8s-prod' });
    const files = { role: join(dir, 'role-id'), secret: join(dir, 'secret-id'), jwt: join(dir, 'jwt') };
    writeFileSync(files.role, 'role-7\n');
    writeFileSync(files.secret, 'secret-7f3a\n');
    writeFileSync(files.jwt, 'k8s.jwt.value');
    const env = vaultEnv({ VAULT_TOKEN: undefined });
    const enc = join(dir, 'dump.sg');
    const approle = [
      '--vault-auth',
      'approle',
      '--vault-role-id-file',
      files.role,
      '--vault-secret-id-file',
      files.secret,
    ];
    const r = await encrypt(enc, ['--vault-key', 'snapshots', ...approle], env);
    expect(r.stderr).toBe('');
    expect(emu.calls('auth/approle/login')).toBe(1);
    const k8s = ['--vault-auth', 'kubernetes', '--vault-role', 'sg', '--vault-auth-mount', 'k8s-prod'];
    await decryptsBack(enc, ['--vault-key', 'snapshots', ...k8s, '--vault-k8s-token-file', files.jwt], env);
    expect(emu.calls('auth/k8s-prod/login')).toBe(1);
  });

  it('uses VAULT_NAMESPACE and VAULT_CACERT like the vault CLI does, and always verifies TLS', async () => {
    const { tls, caFile } = await tlsEmulator();
    tls.addNamespace('team-a');
    tls.enableTransit('transit', 'team-a').createKey('snapshots');
    const env = {
      VAULT_ADDR: tls.addr,
      VAULT_TOKEN: tls.createToken({ ttl: 600, namespace: 'team-a' }),
      VAULT_NAMESPACE: 'team-a',
      VAULT_CACERT: caFile,
    };
    const enc = join(dir, 'ns.sg');
    expect((await encrypt(enc, ['--vault-key', 'snapshots'], env)).stderr).toBe('');
    expect(tls.calls('team-a/transit/datakey/plaintext/snapshots')).toBe(1);
    await decryptsBack(enc, ['--vault-key', 'snapshots'], env);
    const untrusted = await encrypt(join(dir, 'x.sg'), ['--vault-key', 'snapshots'], {
      ...env,
      VAULT_CACERT: undefined,
      VAULT_SKIP_VERIFY: 'true', // deliberately not honoured
    });
    expectOneLineError(
      untrusted,
      /TLS verification of Vault at https:\/\/127\.0\.0\.1:\d+ failed .*--vault-ca-cert or VAULT_CACERT/,
    );
  });

  it('a sealed Vault fails after retries with one clear line and no output', async () => {
    emu.sealed = true;
    const out = join(dir, 'sealed.sg');
    const r = await encrypt(out, ['--vault-key', 'snapshots'], vaultEnv());
    expectOneLineError(
      r,
      /^snapshot-guard: Vault at http:\/\/127\.0\.0\.1:\d+ is sealed .*after 4 attempts.*vault operator unseal/,
    );
    expect(r.code).toBe(1);
    expect(emu.calls('auth/token/lookup-self')).toBe(4);
    expect(existsSync(out)).toBe(false);
  });

  it('an unreachable address fails with one clear line', async () => {
    const port = await closedPort();
    const r = await encrypt(
      join(dir, 'x.sg'),
      ['--vault-key', 'snapshots'],
      vaultEnv({ VAULT_ADDR: `http://127.0.0.1:${port}` }),
    );
    expectOneLineError(
      r,
      new RegExp(
        `cannot reach Vault at http://127\\.0\\.0\\.1:${port} .*ECONNREFUSED.*check --vault-addr or VAULT_ADDR`,
      ),
    );
  });

  it('a bad token fails with one clear line that does not contain the token', async () => {
    const token = 'hvs.CAESIJ-not-a-token-vault-knows-4f9c2a';
    const r = await encrypt(
      join(dir, 'x.sg'),
      ['--vault-key', 'snapshots'],
      vaultEnv({ VAULT_TOKEN: token }),
    );
    expectOneLineError(r, /rejected the token from VAULT_TOKEN \(permission denied\)/);
    expect(r.stderr).not.toContain(token);
    expect(r.stderr).not.toContain('CAESIJ');
  });

  it('asks for the address and a token when they are missing', async () => {
    const noAddr = await encrypt(join(dir, 'x.sg'), ['--vault-key', 'snapshots'], NO_VAULT);
    expectOneLineError(noAddr, /needs the Vault address: set VAULT_ADDR or pass --vault-addr/);
    expect(noAddr.code).toBe(2);
    const noToken = await encrypt(join(dir, 'x.sg'), ['--vault-key', 'snapshots'], {
      ...NO_VAULT,
      VAULT_ADDR: emu.addr,
    });
    expectOneLineError(noToken, /needs a Vault token: set VAULT_TOKEN, pass --vault-token-file/);
    const noRole = await encrypt(
      join(dir, 'x.sg'),
      ['--vault-key', 'snapshots', '--vault-auth', 'kubernetes'],
      vaultEnv(),
    );
    expectOneLineError(noRole, /--vault-auth kubernetes needs --vault-role/);
  });
});

/** An HTTPS emulator with a fresh self-signed certificate, whose PEM file is returned beside it. */
async function tlsEmulator(): Promise<{ tls: VaultEmulator; caFile: string }> {
  const { key, cert, certPath } = selfSignedCertificate(dir);
  const tls = await VaultEmulator.start({ tls: { key, cert } });
  others.push(tls);
  return { tls, caFile: certPath };
}
