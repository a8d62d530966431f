/**
 * The encryptors compared, each as command lines: snapshot-guard (the built CLI), age, gpg --symmetric,
 * openssl enc -aes-256-ctr, and a bare Node aes-256-gcm stream (context, encryption only).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { capture, onPath } from './proc.mjs';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The environment the installed package's wrapper (/usr/bin/snapshot-guard, from
 * deploy/debian/snapshot-guard.sh) gives every run: glibc malloc settings. Read from the wrapper itself
 * and applied to this process when the benchmark loads (a variable already set wins), so every tool
 * compared runs with them and snapshot-guard is measured as installed.
 */
export function packageEnvironment() {
  const wrapper = readFileSync(join(PROJECT_ROOT, 'deploy', 'debian', 'snapshot-guard.sh'), 'utf8');
  return Object.fromEntries([...wrapper.matchAll(/^: "\$\{(\w+):=([^}]*)\}"$/gm)].map((m) => [m[1], m[2]]));
}
for (const [name, value] of Object.entries(packageEnvironment())) process.env[name] ??= value;
export const CLI_PATH = join(PROJECT_ROOT, 'bin', 'snapshot-guard');
export const CLI_BUILT = join(PROJECT_ROOT, 'dist', 'cli', 'main.js');

/** Creates a snapshot-guard key file in `dir`; returns its path. */
export async function makeKeyFile(dir) {
  const keyFile = join(dir, `bench-${randomBytes(4).toString('hex')}.key`);
  await capture(process.execPath, [CLI_PATH, 'keygen', '--out', keyFile]);
  return keyFile;
}

/**
 * The CLI with its defaults (a large file is split between one thread per CPU), or with extra flags
 * such as `--threads 1` (one streaming pass on one core).
 */
function snapshotGuard(extra = []) {
  let key;
  let scratch;
  const cli = (...args) => [process.execPath, [CLI_PATH, ...args, '--key-file', key, ...extra]];
  return {
    name: ['snapshot-guard', ...extra].join(' '),
    missing: () => (existsSync(CLI_BUILT) ? undefined : 'not built (npm run build)'),
    async setup(dir) {
      key = await makeKeyFile(dir);
      scratch = dir;
    },
    encrypt: (i, o) => cli('encrypt', i, '-o', o),
    // decrypt -o - holds the plaintext in a private spool under TMPDIR until all of it authenticated,
    // then copies it out: the spool goes to the scratch directory, like every other file here.
    decrypt: (i, o) => {
      const [node, args] = cli('decrypt', i, '-o', o);
      return o === '-' ? ['env', [`TMPDIR=${scratch}`, node, ...args]] : [node, args];
    },
    decryptToStdout: true,
    version: () => [process.execPath, [CLI_PATH, '--version']],
  };
}

function age() {
  let identity;
  let recipient;
  return {
    name: 'age',
    missing: () => (onPath('age') && onPath('age-keygen') ? undefined : 'not installed'),
    async setup(dir) {
      identity = join(dir, 'age-identity.txt');
      await capture('age-keygen', ['-o', identity]);
      recipient = (await capture('age-keygen', ['-y', identity])).trim();
    },
    encrypt: (i, o) => ['age', ['-e', '-r', recipient, ...(o === '-' ? [] : ['-o', o]), i]],
    decrypt: (i, o) => ['age', ['-d', '-i', identity, ...(o === '-' ? [] : ['-o', o]), i]],
    decryptToStdout: true,
  };
}

function gpg() {
  let home;
  const common = () => [
    '--homedir',
    home,
    '--batch',
    '--yes',
    '--quiet',
    '--no-symkey-cache',
    '--pinentry-mode',
    'loopback',
    '--passphrase',
    'x', // a throwaway benchmark passphrase, not a secret
  ];
  return {
    name: 'gpg --symmetric',
    missing: () => (onPath('gpg') ? undefined : 'not installed'),
    async setup(dir) {
      home = join(dir, 'gnupg');
      await mkdir(home, { mode: 0o700 });
    },
    encrypt: (i, o) => [
      'gpg',
      [...common(), '--compress-algo', 'none', '--cipher-algo', 'AES256', '--symmetric', '--output', o, i],
    ],
    decrypt: (i, o) => ['gpg', [...common(), '--decrypt', '--output', o, i]],
    decryptToStdout: true,
    /** gpg starts an agent in its home directory: stop exactly that one. */
    async cleanup() {
      if (home && onPath('gpgconf'))
        await capture('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']).catch(() => undefined);
    },
  };
}

function opensslCtr() {
  const key = randomBytes(32).toString('hex');
  const iv = randomBytes(16).toString('hex');
  const args = (i, o) => ['-aes-256-ctr', '-K', key, '-iv', iv, '-in', i, ...(o === '-' ? [] : ['-out', o])];
  return {
    name: 'openssl enc -aes-256-ctr',
    missing: () => (onPath('openssl') ? undefined : 'not installed'),
    async setup() {},
    encrypt: (i, o) => ['openssl', ['enc', ...args(i, o)]],
    decrypt: (i, o) => ['openssl', ['enc', '-d', ...args(i, o)]],
    decryptToStdout: true,
  };
}

function nodeGcm() {
  const script = join(PROJECT_ROOT, 'bench', 'node-gcm.mjs');
  return {
    name: 'node aes-256-gcm stream',
    context: true,
    missing: () => undefined,
    async setup() {},
    encrypt: (i, o) => [process.execPath, [script, i, o]],
    decrypt: undefined,
    decryptToStdout: false,
  };
}

export function allTools() {
  return [snapshotGuard(), snapshotGuard(['--threads', '1']), age(), opensslCtr(), gpg(), nodeGcm()];
}

/** One-line versions of the tools, for the report header. */
export async function toolVersions() {
  const first = async (cmd, args) =>
    onPath(cmd) ? (await capture(cmd, args).catch(() => '?')).trim().split('\n')[0] : 'absent';
  const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8'));
  return {
    'snapshot-guard': pkg.version,
    node: process.version,
    age: await first('age', ['--version']),
    gpg: await first('gpg', ['--version']),
    openssl: await first('openssl', ['version']),
  };
}
