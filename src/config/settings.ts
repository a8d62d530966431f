/**
 * Every setting of every subcommand, once: its flag (the long flag name is also its config-file key),
 * environment variable, value kind, default and help. COMMAND_SETTINGS says which subcommand reads which.
 * Sources, strongest first: flags, environment, config file (--config), defaults.
 */
import { LOG_LEVELS } from '../observe/log-levels.js';
import { DEFAULT_METRICS_ADDR, parseListenAddress } from '../observe/listen-address.js';
import { AGE_IDENTITY_SETTINGS, KEY_SETTINGS } from './key-settings.js';
import { list, optional, toggle, withDefault, type CommandName, type Setting } from './setting.js';
import {
  choice,
  duration,
  fileMode,
  listenAddress,
  path,
  segmentSize,
  text,
  url,
  wholeNumber,
} from './values.js';

const SEALED_DIR_HELP = 'directory holding the sealed sets (the --out of watch)';

export const SETTINGS = {
  dir: optional(path, {
    arg: 'dir',
    env: 'SNAPSHOT_GUARD_DIR',
    help: "Dragonfly's --dir (where snapshots appear)",
    helpFor: {
      doctor: "Dragonfly's --dir",
      audit: "the server's snapshot directory: owner, mode, file modes, memory-backed",
    },
  }),
  out: optional(path, {
    arg: 'dir',
    env: 'SNAPSHOT_GUARD_OUT',
    help: 'where sealed sets are stored (created 0700 if missing)',
    helpFor: { doctor: 'the sealed-set directory (watch --out)' },
  }),
  'copy-to': list(path, {
    arg: 'dir|url',
    items: 'directories or s3://BUCKET/PREFIX URLs',
    help: 'after each seal, copy the sealed set to this further store too: a directory or s3://BUCKET/PREFIX[?region=…&profile=…] (repeatable; never delays sealing)',
  }),
  from: optional(path, { arg: 'dir', help: SEALED_DIR_HELP }),
  to: optional(path, { arg: 'dir', help: "Dragonfly's --dir (created 0700 if missing)" }),
  output: optional(path, {
    arg: 'out',
    short: '-o',
    only: 'flag',
    help: 'output file, or - for stdout',
    helpFor: {
      encrypt: 'encrypted output file, or - for stdout',
      decrypt: 'plaintext output file, or - for stdout (then <in> must be a file)',
    },
  }),
  set: optional(text('a set id'), {
    arg: 'id',
    only: 'flag',
    help: 'this set (ids are shown by `snapshot-guard list`)',
    helpFor: {
      restore: 'restore this set (ids are shown by `snapshot-guard list`)',
      verify: 'verify this set (ids are shown by `snapshot-guard list`)',
      rewrap: 'rewrap this set',
    },
  }),
  latest: toggle({
    only: 'flag',
    help: 'the newest set',
    helpFor: {
      restore: 'restore the newest set that verifies (newer damaged sets are skipped, loudly)',
      verify: 'verify the newest set (the default)',
    },
  }),
  all: toggle({
    only: 'flag',
    help: 'every set',
    helpFor: { verify: 'verify every set', rewrap: 'rewrap every set (the default)' },
  }),
  force: toggle({
    only: 'flag',
    help: 'replace the output file if it exists',
    helpFor: { restore: 'replace snapshot files of the same names that are already there' },
  }),
  once: toggle({ only: 'flag', help: 'seal what is there now, then exit (for cron jobs and tests)' }),
  json: toggle({
    only: 'flag',
    help: 'print a JSON array instead of text',
    helpFor: { audit: 'print JSON instead of the table' },
  }),
  'if-empty': toggle({
    only: 'flag',
    help: 'do nothing when --to already holds a complete snapshot or nothing was ever sealed (for restore on boot)',
  }),
  'to-key': list(text('a key spec'), {
    items: 'key specs',
    arg: 'spec',
    only: 'flag',
    help: 'add (or refresh) a wrapping key: file:/path, kms:KEY, vault:NAME (repeatable)',
  }),
  'drop-key': list(text('a key spec or key id'), {
    items: 'key specs or key ids',
    arg: 'spec-or-id',
    only: 'flag',
    help: 'remove a wrapping key: a key spec, or a key id as `list` shows it (repeatable)',
  }),
  owner: optional(text('user[:group]'), {
    arg: 'user[:group]',
    help: 'give the restored files to this user (needs root), e.g. dragonfly:dragonfly',
  }),
  mode: withDefault(fileMode, 0o600, '0600', {
    arg: 'octal',
    help: 'mode of the restored files: 0600, or 0640/0660 when Dragonfly shares --dir with a group',
  }),
  instance: optional(text('a name'), {
    arg: 'name',
    env: 'SNAPSHOT_GUARD_INSTANCE',
    help: 'instance name recorded in headers and bound to the data key (default: this host name)',
    helpFor: {
      restore: 'in a bucket shared by several instances, whose sets to use (default: the only one there)',
      verify: 'in a bucket shared by several instances, whose sets to use (default: the only one there)',
      list: 'in a bucket shared by several instances, whose sets to use (default: the only one there)',
      rewrap: 'in a bucket shared by several instances, whose sets to use (default: the only one there)',
      doctor: 'in a bucket shared by several instances, whose sets to use (default: the only one there)',
    },
  }),
  's3-region': optional(text('an AWS region'), {
    arg: 'region',
    help: 'S3 region (default: AWS_REGION or the profile)',
  }),
  's3-endpoint': optional(url('an http:// or https:// URL'), {
    arg: 'url',
    help: 'S3 endpoint of an S3-compatible store (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS)',
  }),
  's3-force-path-style': toggle({
    env: 'SNAPSHOT_GUARD_S3_FORCE_PATH_STYLE',
    help: 'address buckets as ENDPOINT/BUCKET (S3-compatible stores)',
  }),
  's3-timeout': withDefault(duration, 60_000, '1m', {
    arg: 'duration',
    help: 'give up on an S3 request when the endpoint sends nothing for this long (a stalled or full server); each request is tried 4 times',
  }),
  'object-lock-days': optional(wholeNumber(1, 36_500), {
    arg: 'n',
    help: 'S3 Object Lock: keep every object of a set for N days',
  }),
  'object-lock-mode': withDefault(choice(['governance', 'compliance'] as const), 'governance', 'governance', {
    arg: 'mode',
    help: 'S3 Object Lock mode (compliance: nobody can shorten it)',
  }),
  's3-verify': withDefault(choice(['checksums', 'read-back'] as const), 'checksums', 'checksums', {
    arg: 'mode',
    help: 'how a set sealed into a bucket is proven before the plaintext goes (checksums: the server verified every part and the stored ETags and sizes match what was sent; read-back: download and authenticate all of it)',
  }),
  shred: withDefault(choice(['auto', 'overwrite', 'unlink'] as const), 'auto', 'auto', {
    arg: 'mode',
    help: 'how plaintext is destroyed after sealing (auto: unlink on tmpfs/ramfs, overwrite on disks)',
  }),
  'keep-last': optional(wholeNumber(1, 1_000_000), {
    arg: 'n',
    help: 'keep at least the newest N sealed sets (retention)',
  }),
  'keep-within': optional(duration, {
    arg: 'duration',
    help: 'keep sealed sets newer than this, e.g. 7d (retention)',
  }),
  'strict-permissions': toggle({
    help: 'refuse to start when directories or snapshots are exposed (instead of warning)',
  }),
  'allow-group-access': toggle({
    help: "accept a group-accessible --dir (snapshot-guard in Dragonfly's group)",
    helpFor: { audit: "accept a group-accessible --dir (snapshot-guard in the server's group)" },
  }),
  'dragonfly-url': optional(url('a redis://[:password@]host:port URL'), {
    arg: 'url',
    env: 'SNAPSHOT_GUARD_DRAGONFLY_URL',
    help: 'redis://[:password@]host:port of Dragonfly, to learn when a restored snapshot has loaded',
    helpFor: {
      doctor: 'redis://[:password@]host:port, to check Dragonfly answers',
      audit: 'redis://[:password@]host:port for live probes (NOAUTH, INFO, CONFIG GET)',
    },
  }),
  'restored-grace': withDefault(duration, 300_000, '5m', {
    arg: 'duration',
    help: 'without --dragonfly-url: remove restored plaintext this long after the restore',
  }),
  'verify-every': optional(duration, {
    arg: 'duration',
    help: 're-verify the newest sealed set, and check the chain of all sets, this often',
  }),
  'metrics-addr': withDefault(listenAddress, parseListenAddress(DEFAULT_METRICS_ADDR), DEFAULT_METRICS_ADDR, {
    arg: 'host:port|off',
    env: 'SNAPSHOT_GUARD_METRICS_ADDR',
    help: 'where /metrics, /healthz and /readyz listen; ":PORT" means 127.0.0.1, "0.0.0.0:PORT" all interfaces, "off" none',
  }),
  'rescan-interval': withDefault(duration, 30_000, '30s', {
    arg: 'duration',
    help: 'full directory rescan interval (besides file events)',
  }),
  'retry-max': withDefault(duration, 300_000, '5m', {
    arg: 'duration',
    help: 'longest wait between retries of a failing seal',
  }),
  parallelism: withDefault(wholeNumber(1, 64), 2, '2', {
    arg: 'n',
    help: 'files worked on at once',
    helpFor: {
      watch: 'files of a set encrypted at once; idle cores split a file of 64 MiB or more',
      restore:
        'files decrypted at once, each on a thread of its own on this host (when no file is split between threads)',
      verify: 'files verified at once',
      rewrap: 'files rewritten at once',
    },
    deprecatedAliases: ['parallel'],
  }),
  threads: withDefault(wholeNumber(1, 64), 0, 'automatic', {
    arg: 'n',
    defaultHelp: 'one per CPU (up to 8) for files of 64 MiB or more, else 1',
    env: 'SNAPSHOT_GUARD_THREADS',
    help: 'threads for one file: 1 streams on one core; more split its segments between threads',
  }),
  'shutdown-timeout': withDefault(duration, 30_000, '30s', {
    arg: 'duration',
    help: 'on SIGTERM, how long to let the current seal finish',
  }),
  'segment-size': withDefault(segmentSize, 1024 * 1024, '1MiB', {
    arg: 'size',
    help: 'ciphertext segment size (advanced)',
  }),
  'log-level': withDefault(choice(LOG_LEVELS), 'info', 'info', {
    arg: 'level',
    env: 'SNAPSHOT_GUARD_LOG_LEVEL',
    help: 'log level',
  }),
  strict: toggle({
    help: 'with --latest: fail when the newest set does not verify, instead of falling back',
  }),
  'max-age': optional(duration, {
    arg: 'duration',
    help: 'with --latest: refuse when the newest sealed set is older than this, e.g. 2h (newest sets deleted, or sealing stopped); with --if-empty restore anyway, loudly',
  }),
  'audit-every': optional(duration, {
    arg: 'duration',
    help: "audit Dragonfly's configuration this often (snapshot_guard_dragonfly_audit_findings); inputs: --dir, --dragonfly-url and the audit options",
  }),
  flagfile: list(path, {
    items: 'paths',
    arg: 'path',
    help: "the server's Dragonfly --flagfile (repeatable)",
  }),
  cmdline: optional(text("the server's arguments as one string"), {
    arg: 'args',
    help: "the server's arguments as one string",
  }),
  pid: optional(wholeNumber(1, 2 ** 31), {
    arg: 'pid',
    help: 'a running server: reads /proc/PID/cmdline, its environment and its --flagfile',
  }),
  'env-file': optional(path, {
    arg: 'path',
    help: "the server's environment (KEY=value lines), e.g. for DFLY_PASSWORD",
  }),
  server: withDefault(choice(['auto', 'dragonfly', 'redis'] as const), 'auto', 'auto', {
    arg: 'kind',
    help: 'what the server is',
  }),
  rpo: optional(duration, {
    arg: 'duration',
    help: 'recovery point objective: flag a snapshot schedule with longer gaps, e.g. 5m',
  }),
  accept: list(text('check=reason'), {
    items: 'check=reason entries',
    arg: 'check=reason',
    help: 'silence a finding on purpose, with the reason (repeatable; shown in the output)',
  }),
  'fail-on': withDefault(choice(['info', 'low', 'medium', 'high', 'critical'] as const), 'high', 'high', {
    arg: 'severity',
    help: 'exit 1 when a finding at or above this severity is open',
  }),
  ...KEY_SETTINGS,
  ...AGE_IDENTITY_SETTINGS,
} satisfies Record<string, Setting<unknown>>;

export type SettingKey = keyof typeof SETTINGS;
const KEYS = Object.keys(KEY_SETTINGS) as (keyof typeof KEY_SETTINGS)[];

const S3 = ['s3-region', 's3-endpoint', 's3-force-path-style', 's3-timeout', 'instance'] as const;
const S3_WRITE = [
  's3-region',
  's3-endpoint',
  's3-force-path-style',
  's3-timeout',
  'object-lock-days',
  'object-lock-mode',
] as const;
const AUDIT_SOURCES = ['flagfile', 'cmdline', 'pid', 'env-file', 'server', 'rpo', 'accept'] as const;

/** Which subcommand reads which settings, in the order --help and --print-config show them. */
export const COMMAND_SETTINGS = {
  watch: [
    'dir',
    'out',
    'copy-to',
    ...KEYS,
    'instance',
    'shred',
    'keep-last',
    'keep-within',
    'strict-permissions',
    'allow-group-access',
    'dragonfly-url',
    'restored-grace',
    'verify-every',
    'metrics-addr',
    'rescan-interval',
    'retry-max',
    'parallelism',
    'shutdown-timeout',
    'once',
    'segment-size',
    'log-level',
    'audit-every',
    ...AUDIT_SOURCES,
    ...S3_WRITE,
    's3-verify',
  ],
  restore: [
    'from',
    'set',
    'latest',
    'strict',
    'max-age',
    'to',
    'owner',
    'force',
    'mode',
    'if-empty',
    'parallelism',
    'threads',
    ...KEYS,
    'age-identity',
    ...S3,
  ],
  verify: ['from', 'set', 'latest', 'all', 'parallelism', ...KEYS, 'age-identity', ...S3],
  list: ['from', 'json', ...S3],
  rewrap: [
    'from',
    'set',
    'all',
    'to-key',
    'drop-key',
    'parallelism',
    ...KEYS,
    'age-identity',
    ...S3,
    'object-lock-days',
    'object-lock-mode',
  ],
  encrypt: ['output', 'force', 'threads', 'instance', 'segment-size', ...KEYS],
  decrypt: ['output', 'force', 'threads', ...KEYS, 'age-identity'],
  doctor: ['dir', 'out', 'dragonfly-url', ...KEYS, 'age-identity', ...AUDIT_SOURCES, ...S3],
  audit: [...AUDIT_SOURCES, 'dragonfly-url', 'dir', 'allow-group-access', 'fail-on', 'json'],
} as const satisfies Record<CommandName, readonly SettingKey[]>;

/** Settings a subcommand cannot run without (from a flag, the environment or the config file). */
export const COMMAND_REQUIRED = {
  watch: ['dir', 'out'],
  restore: ['from', 'to'],
  verify: ['from'],
  list: ['from'],
  rewrap: ['from'],
  encrypt: ['output'],
  decrypt: ['output'],
  doctor: ['dir', 'out'],
  audit: [],
} as const satisfies { [C in CommandName]: readonly (typeof COMMAND_SETTINGS)[C][number][] };

/** Per-subcommand --help descriptions of defaults that differ from the setting's own. */
export const DEFAULT_HELP_FOR: Partial<Record<CommandName, Partial<Record<SettingKey, string>>>> = {
  restore: {
    threads:
      'a set of several files on this host: one thread per file (--parallelism at once); a set of one file of 64 MiB or more: one per CPU (up to 8); else 1',
  },
};

/** "keep-last" → "keepLast". */
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type OutOf<S> = S extends Setting<infer O> ? O : never;

export type SettingsFor<K extends SettingKey> = {
  [P in K as Camel<P>]: OutOf<(typeof SETTINGS)[P]>;
};

/** The typed settings of one subcommand, e.g. `CommandSettings<'watch'>['keepLast']: number | undefined`. */
export type CommandSettings<C extends CommandName> = {
  [P in (typeof COMMAND_SETTINGS)[C][number] as Camel<P>]: P extends (typeof COMMAND_REQUIRED)[C][number]
    ? Exclude<OutOf<(typeof SETTINGS)[P]>, undefined>
    : OutOf<(typeof SETTINGS)[P]>;
};

export function isRequired(command: CommandName, key: SettingKey): boolean {
  return (COMMAND_REQUIRED[command] as readonly string[]).includes(key);
}

export function camelCase(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Which subcommands read a setting. */
export function commandsReading(key: SettingKey): CommandName[] {
  return (Object.keys(COMMAND_SETTINGS) as CommandName[]).filter((c) =>
    (COMMAND_SETTINGS[c] as readonly string[]).includes(key),
  );
}
