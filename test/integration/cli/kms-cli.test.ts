// `snapshot-guard encrypt/decrypt` with AWS KMS keys: the built CLI as a child process, the real
// @aws-sdk/client-kms inside it, talking SigV4-signed HTTP to the emulator on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from '../../helpers/ports.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openEncryptedPath } from '../../../src/files/encrypted-file.js';
import { KmsEmulator } from '../../emulators/kms-emulator.js';
import type { EmulatedKey } from '../../emulators/kms-emulator-keys.js';
import { runCli, type CliResult } from '../../helpers/cli.js';

let kms: KmsEmulator;
let dir: string;
let input: string;
let original: Buffer;
let k1: EmulatedKey;
let k2: EmulatedKey;
let n = 0;

/** A fresh output path in the test directory. */
const fresh = (ext: string) => join(dir, `out-${++n}.${ext}`);

function sg(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, { env: { ...kms.env(), ...env }, cwd: dir });
}

const endpoint = () => ['--kms-endpoint', kms.endpoint];

async function encrypt(keyArgs: string[]): Promise<string> {
  const out = fresh('sg');
  const r = await sg(['encrypt', input, '-o', out, '--instance', 'df-test', ...endpoint(), ...keyArgs]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return out;
}

async function expectDecrypts(file: string, keyArgs: string[]): Promise<void> {
  const out = fresh('plain');
  const r = await sg(['decrypt', file, '-o', out, ...endpoint(), ...keyArgs]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect((await readFile(out)).equals(original)).toBe(true);
}

/** A failed run: non-zero exit, exactly one line on stderr, no stack trace. Returns the line. */
function oneLineFailure(r: CliResult, exitCode = 1): string {
  expect(r.code).toBe(exitCode);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^snapshot-guard: /);
  expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  return lines[0] ?? '';
}

async function wrappedKeyIds(file: string): Promise<string[]> {
  const opened = await openEncryptedPath(file);
  await opened.reader.close();
  return opened.header.wrappedKeys.map((w) => `${w.provider}:${w.keyId}`);
}

/** Nothing but the input and earlier outputs: no partial or temporary file was left. */
async function expectNoLeftovers(): Promise<void> {
  const names = await readdir(dir);
  expect(names.filter((f) => f.includes('.sg-tmp-'))).toEqual([]);
}

beforeAll(async () => {
  kms = await KmsEmulator.start();
  dir = await mkdtemp(join(tmpdir(), 'sg-kms-cli-'));
  input = join(dir, 'dump.rdb');
  original = randomBytes(300_000);
  await writeFile(input, original);
  k1 = kms.createKey({ alias: 'alias/sg-k1' });
  k2 = kms.createKey({ alias: 'alias/sg-k2' });
});

afterEach(async () => {
  kms.clearFaults();
  await kms.up();
});

afterAll(async () => {
  await kms?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('encrypt and decrypt with KMS keys', () => {
  it('two KMS keys: one GenerateDataKey and one Encrypt; each key alone decrypts byte-identically', async () => {
    kms.resetRequests();
    const file = await encrypt(['--kms-key-id', 'alias/sg-k1', '--kms-key-id', 'alias/sg-k2']);
    expect(kms.count('GenerateDataKey')).toBe(1);
    expect(kms.count('Encrypt')).toBe(1);
    expect(await wrappedKeyIds(file)).toEqual([`kms:${k1.arn}`, `kms:${k2.arn}`]);

    kms.resetRequests();
    await expectDecrypts(file, ['--kms-key-id', 'alias/sg-k2']);
    expect(kms.count('Decrypt')).toBeGreaterThanOrEqual(1);
    await expectDecrypts(file, ['--kms-key-id', 'alias/sg-k1']);
    // Named by ARN or key id, each key is matched locally to its own copy: one Decrypt each.
    kms.resetRequests();
    await expectDecrypts(file, ['--kms-key-id', k2.arn]);
    await expectDecrypts(file, ['--kms-key-id', k1.keyId]);
    expect(kms.count('Decrypt')).toBe(2);
    expect(kms.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('KMS and a local key file at once: either one alone decrypts', async () => {
    const keyFile = join(dir, 'local.key');
    expect((await sg(['keygen', '--out', keyFile])).code).toBe(0);
    kms.resetRequests();
    const file = await encrypt(['--key-file', keyFile, '--kms-key-id', 'alias/sg-k1']);
    // The local key makes the data key; KMS adds its wrapped copy with Encrypt.
    expect(kms.count('GenerateDataKey')).toBe(0);
    expect(kms.count('Encrypt')).toBe(1);
    await expectDecrypts(file, ['--key-file', keyFile]);
    await expectDecrypts(file, ['--kms-key-id', 'alias/sg-k1']);
  });

  it('one GenerateDataKey per encrypt, and key ids may come from SNAPSHOT_GUARD_KMS_KEY_ID', async () => {
    kms.resetRequests();
    const out = fresh('sg');
    const r = await sg(['encrypt', input, '-o', out, ...endpoint()], {
      SNAPSHOT_GUARD_KMS_KEY_ID: 'alias/sg-k2',
    });
    expect(r.code).toBe(0);
    expect(kms.count('GenerateDataKey')).toBe(1);
    expect(kms.requests.map((x) => x.operation)).toEqual(['GenerateDataKey']);
    await expectDecrypts(out, ['--kms-key-id', 'alias/sg-k2']);
  });
});

describe('failures end in one clear line', () => {
  it('a disabled key: names the key, no output file; decrypt of an older file fails the same way', async () => {
    const k3 = kms.createKey({ alias: 'alias/sg-k3' });
    const file = await encrypt(['--kms-key-id', 'alias/sg-k3']);
    kms.setState('alias/sg-k3', 'Disabled');

    const out = fresh('sg');
    const r = await sg(['encrypt', input, '-o', out, ...endpoint(), '--kms-key-id', 'alias/sg-k3']);
    expect(oneLineFailure(r)).toBe(
      `snapshot-guard: KMS key alias/sg-k3 is disabled; enable it (aws kms enable-key --key-id ${k3.arn}) or configure another key`,
    );
    expect(existsSync(out)).toBe(false);

    const plain = fresh('plain');
    const d = await sg(['decrypt', file, '-o', plain, ...endpoint(), '--kms-key-id', 'alias/sg-k3']);
    const line = oneLineFailure(d);
    expect(line).toContain('KMS key alias/sg-k3 is disabled');
    expect(line).toContain(`enable-key --key-id ${k3.arn}`);
    expect(existsSync(plain)).toBe(false);
    await expectNoLeftovers();
  });

  it('throttling: the first 2 requests throttled still succeed; endless throttling gives a clear line', async () => {
    kms.resetRequests();
    kms.throttle(2);
    const file = await encrypt(['--kms-key-id', 'alias/sg-k1']);
    expect(kms.count('GenerateDataKey')).toBe(3);
    expect(kms.count('GenerateDataKey', { ok: true })).toBe(1);
    await expectDecrypts(file, ['--kms-key-id', 'alias/sg-k1']);

    kms.resetRequests();
    kms.throttle(Infinity);
    const out = fresh('sg');
    const r = await sg([
      'encrypt',
      input,
      '-o',
      out,
      ...endpoint(),
      '--kms-key-id',
      'alias/sg-k1',
      '--kms-max-attempts',
      '2',
    ]);
    expect(oneLineFailure(r)).toBe(
      "snapshot-guard: KMS throttled GenerateDataKey for KMS key alias/sg-k1 (ThrottlingException after 2 attempts); try again later, or raise --kms-max-attempts or the account's KMS request quota",
    );
    expect(kms.count('GenerateDataKey')).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('an unreachable endpoint names the endpoint and the key', async () => {
    const closed = await closedPort();
    const out = fresh('sg');
    const r = await sg([
      'encrypt',
      input,
      '-o',
      out,
      '--kms-endpoint',
      `http://127.0.0.1:${closed}`,
      '--kms-key-id',
      'alias/sg-k1',
    ]);
    expect(oneLineFailure(r)).toBe(
      `snapshot-guard: cannot reach http://127.0.0.1:${closed} for KMS key alias/sg-k1 (ECONNREFUSED after 3 attempts); check the network, --kms-endpoint and --kms-region, then try again`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('Decrypt is pinned to the configured key: a file of key A does not open with key B, and both are named', async () => {
    const file = await encrypt(['--kms-key-id', 'alias/sg-k1']);

    // B by alias: cannot be ruled out locally, so KMS is asked with KeyId pinned and refuses.
    const viaAlias = await sg([
      'decrypt',
      file,
      '-o',
      fresh('plain'),
      ...endpoint(),
      '--kms-key-id',
      'alias/sg-k2',
    ]);
    const line = oneLineFailure(viaAlias);
    expect(line).toContain('could not unwrap the data key');
    expect(line).toContain(`KMS key alias/sg-k2 cannot unwrap this data key: it was wrapped by ${k1.arn}`);
    expect(line).toContain('IncorrectKeyException');

    // B by ARN: ruled out without a call; the message names the key the file needs.
    kms.resetRequests();
    const viaArn = await sg(['decrypt', file, '-o', fresh('plain'), ...endpoint(), '--kms-key-id', k2.arn]);
    const arnLine = oneLineFailure(viaArn);
    expect(arnLine).toContain(`KMS key ${k2.arn}`);
    expect(arnLine).toContain(`kms:${k1.arn}`);
    expect(kms.count('Decrypt')).toBe(0);
    await expectNoLeftovers();
  });

  it('malformed flags are refused before any call (exit 2)', async () => {
    kms.resetRequests();
    const bad = await sg(['encrypt', input, '-o', fresh('sg'), ...endpoint(), '--kms-key-id', 'sg-k1']);
    expect(oneLineFailure(bad, 2)).toBe(
      'snapshot-guard: KMS key "sg-k1" is not a key id, key ARN, alias name (alias/NAME) or alias ARN; check --kms-key-id',
    );
    const url = await sg([
      'encrypt',
      input,
      '-o',
      fresh('sg'),
      '--kms-endpoint',
      'kms.local',
      '--kms-key-id',
      'alias/x',
    ]);
    expect(oneLineFailure(url, 2)).toContain('--kms-endpoint (or AWS_ENDPOINT_URL_KMS) must be a URL');
    const attempts = await sg([
      'encrypt',
      input,
      '-o',
      fresh('sg'),
      ...endpoint(),
      '--kms-key-id',
      'alias/sg-k1',
      '--kms-max-attempts',
      '0',
    ]);
    expect(oneLineFailure(attempts, 2)).toContain(
      '--kms-max-attempts (or AWS_MAX_ATTEMPTS) must be a whole number from 1 to 20',
    );
    expect(kms.requests).toHaveLength(0);
  });
});
