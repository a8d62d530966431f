// The kms provider's settings: flags and their AWS-convention environment fallbacks, and the providers they make.
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { kmsFactory } from '../../../src/keys/kms/settings.js';
import type { KeyProvider } from '../../../src/keys/provider.js';
import { settingsFromArgs } from '../../helpers/config-args.js';

/** The settings of `decrypt` (a subcommand with every key flag) from argv and exactly `env`. */
function parse(argv: string[], env: Record<string, string> = {}) {
  return settingsFromArgs('decrypt', ['-o', 'x', ...argv], env);
}

async function providers(settings: Awaited<ReturnType<typeof parse>>): Promise<KeyProvider[]> {
  const list = await kmsFactory.fromSettings(settings);
  for (const p of list) await p.close?.();
  return list;
}

describe('kms flags', () => {
  it('repeatable --kms-key-id, comma lists, and the other flags', async () => {
    const opts = await parse([
      '--kms-key-id',
      'alias/a',
      '--kms-key-id',
      'alias/b,alias/c',
      '--kms-region',
      'eu-west-1',
      '--kms-endpoint',
      'https://vpce-1.kms.example.internal',
      '--kms-max-attempts',
      '5',
    ]);
    expect(opts).toMatchObject({
      kmsKeyId: ['alias/a', 'alias/b', 'alias/c'],
      kmsRegion: 'eu-west-1',
      kmsEndpoint: 'https://vpce-1.kms.example.internal',
      kmsMaxAttempts: 5,
    });
    expect((await providers(opts)).map((p) => p.description)).toEqual([
      'KMS key alias/a',
      'KMS key alias/b',
      'KMS key alias/c',
    ]);
  });

  it('falls back to SNAPSHOT_GUARD_KMS_KEY_ID, AWS_REGION, AWS_ENDPOINT_URL_KMS and AWS_MAX_ATTEMPTS', async () => {
    const opts = await parse([], {
      SNAPSHOT_GUARD_KMS_KEY_ID: 'alias/env-key',
      AWS_REGION: 'ap-south-1',
      AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:4599',
      AWS_MAX_ATTEMPTS: '4',
    });
    expect(opts).toMatchObject({
      kmsKeyId: ['alias/env-key'],
      kmsRegion: 'ap-south-1',
      kmsEndpoint: 'http://127.0.0.1:4599',
      kmsMaxAttempts: 4,
    });
  });

  it('configures nothing without --kms-key-id', async () => {
    expect(await providers(await parse(['--kms-region', 'eu-west-1']))).toEqual([]);
  });

  it('refuses bad values with exit code 2', async () => {
    const refused = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(2);
      return (err as UserError).message;
    };
    expect(await refused(parse(['--kms-max-attempts', '21']))).toContain('from 1 to 20');
    expect(await refused(parse(['--kms-endpoint', 'ftp://x']))).toContain('http or https');
    expect(
      await refused(providers(await parse(['--kms-key-id', 'alias/a', '--kms-key-id', 'alias/a']))),
    ).toBe('--kms-key-id alias/a is given twice');
    expect(await refused(providers(await parse(['--kms-key-id', 'my-key'])))).toContain('alias/NAME');
  });

  it('builds a provider from a key spec (for --to-key kms:...)', async () => {
    const p = await kmsFactory.fromSpec('alias/next', { kmsKeyId: [], kmsRegion: 'eu-west-1' });
    expect(p.description).toBe('KMS key alias/next');
    expect(p.type).toBe('kms');
    await p.close?.();
    expect(kmsFactory.specPrefix).toBe('kms');
  });
});
