/** The settings schema and the merging of its sources, in-process: no child process, no network. */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { ConfigFileError, parseConfigText, validateConfig } from '../../../src/config/file.js';
import { redactUrl, renderSettings } from '../../../src/config/print.js';
import { resolveSettings, type SettingSources } from '../../../src/config/resolve.js';
import { COMMAND_NAMES } from '../../../src/config/setting.js';
import { COMMAND_SETTINGS, SETTINGS } from '../../../src/config/settings.js';
import { settingsFromArgs } from '../../helpers/config-args.js';

const FILE = '/etc/sg.yaml';
const file = (text: string, only?: Parameters<typeof validateConfig>[2]) =>
  validateConfig(parseConfigText(text, FILE), FILE, only);

function fileError(text: string, only?: Parameters<typeof validateConfig>[2]): string {
  try {
    file(text, only);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    expect((err as ConfigFileError).exitCode).toBe(2);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('the file was accepted');
}

const watch = (s: Partial<SettingSources>) =>
  resolveSettings('watch', { env: {}, ...s, flags: { dir: '/d', out: '/o', ...s.flags } });

describe('precedence: flags > environment > config file > defaults', () => {
  const cfg = file('keep-last: 30\nlog-level: debug\nretry-max: 10m\nshred: unlink\n');

  it('takes each setting from the strongest source that has it', () => {
    const { settings, origins } = watch({
      flags: { 'keep-last': '10' },
      env: { SNAPSHOT_GUARD_LOG_LEVEL: 'warn' },
      file: cfg,
    });
    expect(settings.keepLast).toBe(10);
    expect(settings.logLevel).toBe('warn');
    expect(settings.retryMax).toBe(600_000);
    expect(settings.shred).toBe('unlink');
    expect(settings.rescanInterval).toBe(30_000);
    expect(settings.keepWithin).toBeUndefined();
    expect(origins.get('keep-last')?.source).toEqual({ from: 'flag' });
    expect(origins.get('log-level')?.source).toEqual({ from: 'env', name: 'SNAPSHOT_GUARD_LOG_LEVEL' });
    expect(origins.get('retry-max')?.source).toEqual({ from: 'file', path: FILE });
    expect(origins.get('rescan-interval')?.source).toEqual({ from: 'default' });
    expect(origins.get('keep-within')?.source).toEqual({ from: 'unset' });
  });

  it('a list from a flag or the environment replaces the file list instead of adding to it', () => {
    const cfg2 = file('key-file: [/a, /b]\nkms-key-id: alias/file\n');
    expect(watch({ file: cfg2 }).settings.keyFile).toEqual(['/a', '/b']);
    expect(watch({ file: cfg2, flags: { 'key-file': ['/c'] } }).settings.keyFile).toEqual(['/c']);
    const env = { SNAPSHOT_GUARD_KMS_KEY_ID: 'alias/x, alias/y' };
    expect(watch({ file: cfg2, env }).settings.kmsKeyId).toEqual(['alias/x', 'alias/y']);
  });

  it('an empty environment variable still counts as set (an empty metrics address turns the server off)', () => {
    const cfg3 = file('metrics-addr: 0.0.0.0:9100\n');
    expect(watch({ file: cfg3, env: { SNAPSHOT_GUARD_METRICS_ADDR: '' } }).settings.metricsAddr).toBe('off');
    expect(watch({ file: cfg3 }).settings.metricsAddr).toEqual({ host: '0.0.0.0', port: 9100 });
  });

  it('flag and environment values are checked with the messages the flags always had', () => {
    expect(() => watch({ flags: { 'keep-last': 'ten' } })).toThrow(
      '--keep-last must be a whole number, got "ten"',
    );
    expect(() => watch({ env: { AWS_MAX_ATTEMPTS: '50' } })).toThrow(
      '--kms-max-attempts (or AWS_MAX_ATTEMPTS) must be a whole number from 1 to 20, got "50"',
    );
    expect(() => watch({ flags: { shred: 'burn' } })).toThrow(
      '--shred must be one of auto, overwrite, unlink, got "burn"',
    );
    expect(() => watch({ env: { SNAPSHOT_GUARD_S3_FORCE_PATH_STYLE: 'yes' } })).toThrow(
      '--s3-force-path-style must be true or false, got "yes"',
    );
    expect(watch({ env: { SNAPSHOT_GUARD_S3_FORCE_PATH_STYLE: 'true' } }).settings.s3ForcePathStyle).toBe(
      true,
    );
  });

  it('a missing required setting names every way to give it; --print-config may go without', () => {
    const run = () => resolveSettings('watch', { flags: { out: '/o' }, env: {} });
    expect(run).toThrow(UserError);
    expect(run).toThrow(
      'required option --dir not specified: pass --dir <dir>, set SNAPSHOT_GUARD_DIR, or put "dir:" in the --config file',
    );
    const r = resolveSettings('watch', { flags: {}, env: {}, allowMissing: true });
    expect(r.origins.get('dir')?.source).toEqual({ from: 'unset' });
  });

  it('VAULT_TOKEN reaches the Vault settings only from the environment', () => {
    expect(watch({ env: { VAULT_TOKEN: 'hvs.x' } }).settings.vaultToken).toBe('hvs.x');
    expect(watch({ flags: { 'vault-token': 'hvs.y' } }).settings.vaultToken).toBeUndefined();
  });
});

describe('the config file', () => {
  it('reads every scalar as text, like a flag: octal modes, numbers, switches, lists', () => {
    const cfg = file(
      "mode: 0640\nkeep-last: 48\nallow-group-access: true\nkey-file: /k\nvault-key: [a, 't/b']\n",
    );
    expect(cfg.values.get('mode')?.value).toBe(0o640);
    expect(cfg.values.get('keep-last')?.value).toBe(48);
    expect(cfg.values.get('allow-group-access')?.value).toBe(true);
    expect(cfg.values.get('key-file')?.value).toEqual(['/k']);
    expect(cfg.values.get('vault-key')?.value).toEqual(['a', 't/b']);
  });

  it('an empty file or one with only comments sets nothing', () => {
    expect(file('').values.size).toBe(0);
    expect(file('# nothing yet\n').values.size).toBe(0);
  });

  it.each([
    ['keep-last: ten', `${FILE}: keep-last: expected a whole number ≥ 1, got "ten"`],
    ['keep-last: 0', `${FILE}: keep-last: expected a whole number ≥ 1, got "0"`],
    ['parallelism: 65', `${FILE}: parallelism: expected a whole number from 1 to 64, got "65"`],
    ['mode: 0644', `${FILE}: mode: expected 0600, 0640 or 0660, got "0644"`],
    ['shred: burn', `${FILE}: shred: expected one of auto, overwrite, unlink, got "burn"`],
    ['strict-permissions: yes', `${FILE}: strict-permissions: expected true or false, got "yes"`],
    [
      'metrics-addr: 9464',
      `${FILE}: metrics-addr: expected HOST:PORT such as 127.0.0.1:9464 or 0.0.0.0:9464, or off, got "9464"`,
    ],
    ['kms-endpoint: ftp://x', `${FILE}: kms-endpoint: expected an http:// or https:// URL, got "ftp://x"`],
    ['dir:', `${FILE}: dir: expected a path, got nothing`],
    ['dir: [a, b]', `${FILE}: dir: expected a path, got a list`],
    ['key-file: {a: b}', `${FILE}: key-file: expected a list of paths (or one), got a mapping`],
    [
      'keeplast: 3',
      `${FILE}: keeplast: unknown setting; did you mean keep-last? (keys are the long flag names, listed in the README's "Config file" section)`,
    ],
    ['set: abc', `${FILE}: set: only accepted as a flag (--set): it says what to do this time`],
    ['- dir', `${FILE}: expected a mapping of settings (key: value lines)`],
  ])('%s → one line naming the file, the key and what is expected', (text, message) => {
    expect(fileError(`${text}\n`)).toBe(message);
  });

  it('names the line of a YAML syntax error', () => {
    expect(fileError('dir: /d\ndir: /e\n')).toBe(`${FILE}: line 2: not valid YAML (Map keys must be unique)`);
  });

  it('accepts the keys of any subcommand, or with --for only those of one', () => {
    const text = 'dir: /d\nfrom: /s\nkey-file: /k\n';
    expect([...file(text).values.keys()]).toEqual(['dir', 'from', 'key-file']);
    expect(fileError(text, 'watch')).toBe(
      `${FILE}: from: not a setting of \`snapshot-guard watch\` (only of restore, verify, list, rewrap)`,
    );
  });

  it('maps the deprecated spelling parallel to parallelism, with a warning', () => {
    const cfg = file('parallel: 3\n');
    expect(cfg.values.get('parallelism')?.value).toBe(3);
    expect(cfg.warnings).toEqual([`${FILE}: parallel is deprecated; write parallelism instead`]);
    expect(fileError('parallel: 3\nparallelism: 4\n')).toBe(
      `${FILE}: parallelism: given twice (as parallelism and a deprecated spelling)`,
    );
  });
});

describe('--print-config', () => {
  it('redacts passwords in URLs and secret values, and names each source', () => {
    const { origins } = watch({
      env: { VAULT_TOKEN: 'hvs.secret', SNAPSHOT_GUARD_DRAGONFLY_URL: 'redis://admin:pa55@df:6379/0' },
      file: file('verify-every: 6h\n'),
    });
    const text = renderSettings('watch', origins, FILE);
    expect(text).not.toContain('hvs.secret');
    expect(text).not.toContain('pa55');
    expect(text).toMatch(
      /^dragonfly-url: redis:\/\/admin:\[redacted\]@df:6379\/0\s+# env SNAPSHOT_GUARD_DRAGONFLY_URL$/m,
    );
    expect(text).toMatch(/^vault-token: "\[redacted\]"\s+# env VAULT_TOKEN$/m);
    expect(text).toMatch(/^verify-every: 6h\s+# file \/etc\/sg\.yaml$/m);
    expect(text).toMatch(/^dir: \/d\s+# flag$/m);
    expect(text).toMatch(/^strict-permissions: false\s+# default$/m);
  });

  it('redactUrl keeps URLs without a password as they are', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('redis://:pw@h:1')).toBe('redis://:[redacted]@h:1');
    expect(redactUrl('https://u:p@vault:8200')).toBe('https://u:[redacted]@vault:8200');
    expect(redactUrl('not a url //x:y@z')).toBe('not a url //[redacted]@z');
  });
});

describe('the schema', () => {
  it('every subcommand reads only known settings, and every setting is read by some subcommand', () => {
    const read = new Set(COMMAND_NAMES.flatMap((c) => [...COMMAND_SETTINGS[c]]));
    expect([...read].sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it('gives typed settings from real flags (commander + schema)', async () => {
    const s = await settingsFromArgs('watch', ['--dir', 'd', '--out', 'o', '--keep-within', '7d', '--once']);
    expect(s).toMatchObject({ dir: 'd', out: 'o', keepWithin: 7 * 86_400_000, once: true, parallelism: 2 });
    const r = await settingsFromArgs('restore', ['--from', 'f', '--to', 't', '--mode', '0660', '--latest']);
    expect(r).toMatchObject({ mode: 0o660, latest: true, threads: 0, set: undefined, keyFile: [] });
  });
});
