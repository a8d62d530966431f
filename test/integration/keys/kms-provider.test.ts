// The KMS provider class against the wire-level emulator: real @aws-sdk/client-kms, real HTTP,
// real SigV4 signatures, real AES-GCM inside the emulator. No module mocks.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { KeyProviderError } from '../../../src/keys/errors.js';
import { Keyring } from '../../../src/keys/keyring.js';
import {
  KMS_CONTEXT_INSTANCE,
  KMS_CONTEXT_PURPOSE,
  KMS_CONTEXT_SET_ID,
  KMS_PURPOSE,
  KmsKeyProvider,
  type KmsProviderConfig,
} from '../../../src/keys/kms/provider.js';
import type { KeyContext } from '../../../src/keys/provider.js';
import { KmsEmulator, applyEnv } from '../../emulators/kms-emulator.js';

const ctx: KeyContext = { instance: 'dragonfly-0', setId: 'dump-2026-11-23T17:40:00' };

let kms: KmsEmulator;
const providers: KmsKeyProvider[] = [];
const savedEnv = { ...process.env };

function provider(keyId: string, extra: Partial<KmsProviderConfig> = {}): KmsKeyProvider {
  const p = new KmsKeyProvider({ keyId, endpoint: kms.endpoint, region: kms.region, ...extra });
  providers.push(p);
  return p;
}

/** The rejection of `promise`, which must be a KeyProviderError. */
async function failure(promise: Promise<unknown>): Promise<KeyProviderError> {
  const err: unknown = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeyProviderError);
  expect(err).toBeInstanceOf(UserError);
  const e = err as KeyProviderError;
  expect(e.message).not.toContain('\n');
  return e;
}

beforeAll(async () => {
  kms = await KmsEmulator.start();
  applyEnv(process.env, kms.env());
});

afterEach(async () => {
  kms.clearFaults();
  await kms.up();
  process.env = { ...savedEnv };
  applyEnv(process.env, kms.env());
  await Promise.all(providers.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await kms.stop();
  process.env = savedEnv;
});

describe('KMS provider: envelope operations', () => {
  it('generates one AES-256 data key bound to the context, records the key ARN, unwraps with KeyId pinned', async () => {
    const key = kms.createKey({ alias: 'alias/gen' });
    const p = provider('alias/gen');
    kms.resetRequests();
    const { plaintext, wrapped } = await p.generateDataKey(ctx);
    expect(plaintext).toHaveLength(32);
    expect(wrapped).toMatchObject({ provider: 'kms', keyId: key.arn });
    expect(kms.count('GenerateDataKey')).toBe(1);
    const expectedContext = {
      [KMS_CONTEXT_INSTANCE]: ctx.instance,
      [KMS_CONTEXT_SET_ID]: ctx.setId,
      [KMS_CONTEXT_PURPOSE]: KMS_PURPOSE,
    };
    expect(kms.requests[0]?.body).toEqual({
      KeyId: 'alias/gen',
      KeySpec: 'AES_256',
      EncryptionContext: expectedContext,
    });

    expect(p.canUnwrap(wrapped)).toBe(true);
    const back = await p.unwrap(wrapped, ctx);
    expect(back.equals(plaintext)).toBe(true);
    const decrypt = kms.requests.find((r) => r.operation === 'Decrypt');
    expect(decrypt?.body).toMatchObject({ KeyId: 'alias/gen', EncryptionContext: expectedContext });
  });

  it('wraps an existing data key with Encrypt, and that copy unwraps by key id and by ARN', async () => {
    const key = kms.createKey();
    const dataKey = Buffer.alloc(32, 7);
    const wrapped = await provider(key.keyId).wrap(dataKey, ctx);
    expect(wrapped.keyId).toBe(key.arn);
    expect((await provider(key.keyId).unwrap(wrapped, ctx)).equals(dataKey)).toBe(true);
    expect((await provider(key.arn).unwrap(wrapped, ctx)).equals(dataKey)).toBe(true);
  });

  it('refuses a different encryption context (other instance or set id) with a clear permanent error', async () => {
    kms.createKey({ alias: 'alias/ctx' });
    const p = provider('alias/ctx');
    const { wrapped } = await p.generateDataKey(ctx);
    for (const other of [
      { ...ctx, setId: 'dump-other' },
      { ...ctx, instance: 'dragonfly-1' },
    ]) {
      const e = await failure(p.unwrap(wrapped, other));
      expect(e.transient).toBe(false);
      expect(e.message).toContain(
        'KMS key alias/ctx refused the wrapped data key (InvalidCiphertextException)',
      );
      expect(e.message).toContain(`instance "${other.instance}", set id "${other.setId}"`);
    }
  });

  it('refuses an altered wrapped key', async () => {
    kms.createKey({ alias: 'alias/alter' });
    const p = provider('alias/alter');
    const { wrapped } = await p.generateDataKey(ctx);
    const blob = Buffer.from(wrapped.blob);
    blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 1;
    const e = await failure(p.unwrap({ ...wrapped, blob }, ctx));
    expect(e.message).toContain('InvalidCiphertextException');
  });

  it('pins Decrypt to the configured key: a blob of key A is refused by an alias of key B, naming both', async () => {
    const a = kms.createKey({ alias: 'alias/pin-a' });
    const b = kms.createKey({ alias: 'alias/pin-b' });
    const { wrapped } = await provider('alias/pin-a').generateDataKey(ctx);
    const viaAlias = provider('alias/pin-b');
    expect(viaAlias.canUnwrap(wrapped)).toBe(true); // an alias cannot be compared locally
    const e = await failure(viaAlias.unwrap(wrapped, ctx));
    expect(e.transient).toBe(false);
    expect(e.message).toBe(
      `KMS key alias/pin-b cannot unwrap this data key: it was wrapped by ${a.arn} (IncorrectKeyException); configure --kms-key-id ${a.arn}`,
    );
    // Named by id or ARN, B is known locally not to be A.
    expect(provider(b.arn).canUnwrap(wrapped)).toBe(false);
    expect(provider(b.keyId).canUnwrap(wrapped)).toBe(false);
    expect(provider(a.keyId).canUnwrap(wrapped)).toBe(true);
  });

  it('rewraps with ReEncrypt to another key, and to the same key after rotation, without the plaintext', async () => {
    const a = kms.createKey({ alias: 'alias/rw-a' });
    const b = kms.createKey({ alias: 'alias/rw-b' });
    const { plaintext, wrapped } = await provider('alias/rw-a').generateDataKey(ctx);

    kms.resetRequests();
    const moved = await provider('alias/rw-b').rewrap(wrapped, ctx);
    expect(moved.keyId).toBe(b.arn);
    expect(kms.requests.map((r) => r.operation)).toEqual(['ReEncrypt']);
    expect(kms.requests[0]?.body).toMatchObject({ SourceKeyId: a.arn, DestinationKeyId: 'alias/rw-b' });
    expect((await provider(b.arn).unwrap(moved, ctx)).equals(plaintext)).toBe(true);

    kms.rotate('alias/rw-a');
    const rotated = await provider(a.arn).rewrap(wrapped, ctx);
    expect(rotated.keyId).toBe(a.arn);
    expect(rotated.blob.equals(wrapped.blob)).toBe(false);
    expect((await provider(a.arn).unwrap(rotated, ctx)).equals(plaintext)).toBe(true);
    expect((await provider(a.arn).unwrap(wrapped, ctx)).equals(plaintext)).toBe(true);

    const e = await failure(provider('alias/rw-b').rewrap(wrapped, { ...ctx, setId: 'x' }));
    expect(e.message).toContain('InvalidCiphertextException');
  });

  it('check() passes for an enabled key and names the state otherwise', async () => {
    kms.createKey({ alias: 'alias/chk' });
    await provider('alias/chk').check();
    kms.setState('alias/chk', 'Disabled');
    const e = await failure(provider('alias/chk').check());
    expect(e.message).toContain('KMS key alias/chk is Disabled, not Enabled');
    const missing = await failure(provider('alias/nope').check());
    expect(missing.message).toContain('KMS key alias/nope was not found in region us-east-1');
  });
});

describe('KMS provider: refusals are permanent, one line, and name the key and the fix', () => {
  it('disabled key', async () => {
    kms.createKey({ alias: 'alias/off' });
    kms.setState('alias/off', 'Disabled');
    const e = await failure(provider('alias/off').generateDataKey(ctx));
    expect(e.transient).toBe(false);
    expect(e.message).toMatch(/^KMS key alias\/off is disabled; enable it \(aws kms enable-key/);
  });

  it('key pending deletion', async () => {
    kms.createKey({ alias: 'alias/gone' });
    kms.setState('alias/gone', 'PendingDeletion');
    const e = await failure(provider('alias/gone').generateDataKey(ctx));
    expect(e.transient).toBe(false);
    expect(e.message).toContain('KMS key alias/gone cannot be used in its current state');
    expect(e.message).toContain('cancel-key-deletion');
  });

  it('unknown key', async () => {
    const e = await failure(provider('alias/does-not-exist').generateDataKey(ctx));
    expect(e.transient).toBe(false);
    expect(e.message).toContain('KMS key alias/does-not-exist was not found in region us-east-1');
  });

  it('access denied names the action', async () => {
    kms.createKey({ alias: 'alias/deny' });
    const { wrapped } = await provider('alias/deny').generateDataKey(ctx);
    kms.deny('alias/deny', 'kms:Decrypt');
    const e = await failure(provider('alias/deny').unwrap(wrapped, ctx));
    expect(e.transient).toBe(false);
    expect(e.message).toMatch(
      /^KMS key alias\/deny: access denied for kms:Decrypt: User: .* is not authorized/,
    );
    expect(e.message).toContain('allow kms:Decrypt on this key');
  });

  it('wrong secret key (signature mismatch) and expired session credentials', async () => {
    kms.createKey({ alias: 'alias/creds' });
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
    const bad = await failure(provider('alias/creds').generateDataKey(ctx));
    expect(bad.transient).toBe(false);
    expect(bad.message).toContain(
      'KMS rejected the AWS credentials used for KMS key alias/creds (InvalidSignatureException',
    );

    const expired = {
      accessKeyId: 'ASIAEXPIREDTEST',
      secretAccessKey: 's3cr3t',
      sessionToken: 'tok',
      expired: true,
    };
    kms.addCredentials(expired);
    applyEnv(process.env, kms.env(expired));
    const e = await failure(provider('alias/creds').generateDataKey(ctx));
    expect(e.message).toContain(
      '(ExpiredTokenException: The security token included in the request is expired)',
    );
    expect(e.message).toContain('refresh expired session credentials');
  });

  it('missing credentials', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_PROFILE;
    kms.resetRequests();
    const e = await failure(provider('alias/anything').generateDataKey(ctx));
    expect(e.transient).toBe(false);
    expect(e.message).toMatch(/^no AWS credentials found for KMS key alias\/anything: set AWS_ACCESS_KEY_ID/);
    expect(kms.requests).toHaveLength(0); // nothing unsigned was sent
  });
});

describe('KMS provider: retries, and transient failures after them', () => {
  it('retries throttling (first 2 requests throttled) and succeeds', async () => {
    kms.createKey({ alias: 'alias/thr' });
    kms.resetRequests();
    kms.throttle(2);
    const { plaintext } = await provider('alias/thr').generateDataKey(ctx);
    expect(plaintext).toHaveLength(32);
    expect(kms.count('GenerateDataKey')).toBe(3);
    expect(kms.count('GenerateDataKey', { ok: true })).toBe(1);
  });

  it('gives a transient error when throttling outlasts the attempts', async () => {
    kms.createKey({ alias: 'alias/thr2' });
    kms.resetRequests();
    kms.throttle(Infinity);
    const e = await failure(provider('alias/thr2', { maxAttempts: 2 }).generateDataKey(ctx));
    expect(e.transient).toBe(true);
    expect(kms.count('GenerateDataKey')).toBe(2);
    expect(e.message).toBe(
      "KMS throttled GenerateDataKey for KMS key alias/thr2 (ThrottlingException after 2 attempts); try again later, or raise --kms-max-attempts or the account's KMS request quota",
    );
  });

  it('retries HTTP 500 and reports exhausted retries as transient', async () => {
    kms.createKey({ alias: 'alias/5xx' });
    kms.fail(1);
    const { wrapped } = await provider('alias/5xx').generateDataKey(ctx);
    kms.fail(Infinity);
    const e = await failure(provider('alias/5xx').unwrap(wrapped, ctx));
    expect(e.transient).toBe(true);
    expect(e.message).toContain(
      'KMS failed Decrypt for KMS key alias/5xx (KMSInternalException, HTTP 500 after 3 attempts)',
    );
  });

  it('an unreachable endpoint is transient, and the same provider works again once KMS is back', async () => {
    kms.createKey({ alias: 'alias/down' });
    const p = provider('alias/down');
    await kms.down();
    const e = await failure(p.generateDataKey(ctx));
    expect(e.transient).toBe(true);
    expect(e.message).toMatch(
      new RegExp(`^cannot reach ${kms.endpoint} for KMS key alias/down \\(ECONNREFUSED after 3 attempts\\)`),
    );
    await kms.up();
    expect((await p.generateDataKey(ctx)).plaintext).toHaveLength(32);
  });
});

describe('KMS keys in two regions through the keyring', () => {
  it('one GenerateDataKey in the first region, one Encrypt in the second; either region alone unwraps', async () => {
    const eu = await KmsEmulator.start({ region: 'eu-west-1' });
    try {
      const usKey = kms.createKey();
      const euKey = eu.createKey();
      kms.resetRequests();
      // Named by ARN, each key is signed for its own region (and, without --kms-endpoint, sent
      // there), whatever --kms-region says.
      const us = provider(usKey.arn, { region: 'ap-south-1' });
      const euProvider = provider(euKey.arn, { endpoint: eu.endpoint, region: 'ap-south-1' });
      const ring = new Keyring([us, euProvider]);
      const { plaintext, wrapped } = await ring.newDataKey(ctx);
      expect(wrapped.map((w) => w.keyId)).toEqual([usKey.arn, euKey.arn]);
      expect(kms.requests.map((r) => [r.operation, r.signingRegion])).toEqual([
        ['GenerateDataKey', 'us-east-1'],
      ]);
      expect(eu.requests.map((r) => [r.operation, r.signingRegion])).toEqual([['Encrypt', 'eu-west-1']]);

      await kms.down(); // the first region is out: the second still restores
      const fromEu = await new Keyring([provider(euKey.arn, { endpoint: eu.endpoint })]).unwrap(wrapped, ctx);
      expect(fromEu.equals(plaintext)).toBe(true);
      await kms.up();
      const fromUs = await new Keyring([provider(usKey.arn)]).unwrap(wrapped, ctx);
      expect(fromUs.equals(plaintext)).toBe(true);
    } finally {
      await eu.stop();
    }
  });
});
