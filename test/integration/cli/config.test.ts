/**
 * The config file as an operator uses it: the built CLI in real processes, real files. `watch --config`
 * seals exactly as the same flags do; flags and environment variables override the file; a bad file
 * stops the command before anything happens, with one line naming the file and the key.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { writeDfsSet, type DfsWriteResult } from '../../helpers/dfs-writer.js';

interface Workspace {
  root: string;
  df: string;
  out: string;
  key: string;
}

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function workspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'sg-config-'));
  roots.push(root);
  const ws = { root, df: join(root, 'df'), out: join(root, 'sealed'), key: join(root, 'key') };
  await mkdir(ws.df, { mode: 0o700 });
  const keygen = await runCli(['keygen', '--out', ws.key]);
  expect(keygen.code, keygen.stderr).toBe(0);
  return ws;
}

function snapshot(ws: Workspace, stem = 'dump-2026-11-23T17:40:00'): Promise<DfsWriteResult> {
  const snapshotId = 'c0ffee00c0ffee00c0ffee00c0ffee00';
  return writeDfsSet({ dir: ws.df, stem, shards: 2, bytesPerShard: 32 * 1024, snapshotId });
}

async function configFile(ws: Workspace, text: string, name = 'sg.yaml'): Promise<string> {
  const path = join(ws.root, name);
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

function ok(r: CliResult, what: string): void {
  expect(r.code, `${what}:\n${r.stderr}\n${r.stdout.toString()}`).toBe(0);
}

/** Exactly one line on stderr, without a stack trace. */
function oneLine(r: CliResult, pattern: RegExp): void {
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr.trimEnd()).toMatch(pattern);
}

async function sealedIn(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
}

/** What `list --json` says about the one sealed set in `dir`, without what differs between two seals. */
async function sealedSummary(dir: string): Promise<unknown> {
  const r = await runCli(['list', '--from', dir, '--json']);
  ok(r, 'list');
  const [set] = JSON.parse(r.stdout.toString()) as Record<string, unknown>[];
  // Times differ between two seals; everything else (files, sizes, format, keys, verification) must not.
  const { setId: _id, sealedAt: _at, snapshotTime: _t, lastVerification, ...rest } = set ?? {};
  return { ...rest, verified: (lastVerification as { ok?: boolean } | undefined)?.ok };
}

/** Restores the newest set of `from` into a fresh directory and returns the files by name. */
async function restored(ws: Workspace, from: string, name: string): Promise<Map<string, Buffer>> {
  const to = join(ws.root, name);
  ok(await runCli(['restore', '--from', from, '--latest', '--to', to, '--key-file', ws.key]), 'restore');
  const files = new Map<string, Buffer>();
  for (const f of await readdir(to)) if (!f.startsWith('.')) files.set(f, await readFile(join(to, f)));
  return files;
}

describe('watch --config FILE', () => {
  it('seals exactly as the same flags do', async () => {
    const ws = await workspace();
    const written = await snapshot(ws);
    const byFlags = join(ws.root, 'by-flags');
    ok(
      await runCli([
        'watch',
        '--once',
        '--metrics-addr',
        'off',
        '--dir',
        ws.df,
        '--out',
        byFlags,
        '--key-file',
        ws.key,
      ]),
      'watch with flags',
    );
    expect(await readdir(ws.df)).toEqual([]);

    const again = await snapshot(ws); // the same snapshot name and id again
    const file = await configFile(ws, `dir: ${ws.df}\nout: ${ws.out}\nkey-file: ${ws.key}\n`);
    ok(await runCli(['watch', '--once', '--metrics-addr', 'off', '--config', file]), 'watch --config');
    expect(await readdir(ws.df)).toEqual([]);

    expect(await sealedIn(ws.out)).toHaveLength(1);
    expect(await sealedSummary(ws.out)).toEqual(await sealedSummary(byFlags));
    const fromFile = await restored(ws, ws.out, 'restored-file');
    const fromFlags = await restored(ws, byFlags, 'restored-flags');
    expect([...fromFile.keys()].sort()).toEqual([...written.contents.keys()].sort());
    for (const [name, bytes] of written.contents) {
      expect(fromFlags.get(name)?.equals(bytes), name).toBe(true);
    }
    for (const [name, bytes] of again.contents) expect(fromFile.get(name)?.equals(bytes), name).toBe(true);
  });

  it('a flag on the command line overrides the file', async () => {
    const ws = await workspace();
    await snapshot(ws);
    const inFile = join(ws.root, 'from-file');
    const file = await configFile(
      ws,
      `dir: ${ws.df}\nout: ${inFile}\nkey-file: ${ws.key}\nmetrics-addr: off\n`,
    );
    ok(await runCli(['watch', '--once', '--config', file, '--out', ws.out]), 'watch');
    expect(await sealedIn(ws.out)).toHaveLength(1);
    expect(await sealedIn(inFile)).toEqual([]);
  });

  it('an environment variable overrides the file', async () => {
    const ws = await workspace();
    await snapshot(ws);
    const inFile = join(ws.root, 'from-file');
    const file = await configFile(
      ws,
      `dir: ${ws.df}\nout: ${inFile}\nkey-file: ${ws.key}\nmetrics-addr: off\n`,
    );
    ok(await runCli(['watch', '--once', '--config', file], { env: { SNAPSHOT_GUARD_OUT: ws.out } }), 'watch');
    expect(await sealedIn(ws.out)).toHaveLength(1);
    expect(await sealedIn(inFile)).toEqual([]);
  });

  it.each([
    ['an unknown key', 'kep-last: 4\n', /: kep-last: unknown setting; did you mean keep-last\?/],
    ['a malformed value', 'keep-last: ten\n', /: keep-last: expected a whole number ≥ 1, got "ten"$/m],
    [
      'a list for a single value',
      'keep-within: [1d, 2d]\n',
      /: keep-within: expected a duration like 30s, 15m, 6h or 7d, got a list$/m,
    ],
    ['a flag-only key', 'once: true\n', /: once: only accepted as a flag/],
    [
      'a secret in the file',
      'vault-token: hvs.x\n',
      /: vault-token: secret, only read from the environment \(VAULT_TOKEN\)/,
    ],
    ['broken YAML', 'keep-last: [\n', /: line \d+: not valid YAML/],
    ['a key given twice', 'dir: /elsewhere\n', /: line 4: not valid YAML \(Map keys must be unique\)$/m],
  ])(
    '%s exits 2 with one line naming the file and the key, and seals nothing',
    async (_what, bad, message) => {
      const ws = await workspace();
      await snapshot(ws);
      const file = await configFile(ws, `dir: ${ws.df}\nout: ${ws.out}\nkey-file: ${ws.key}\n${bad}`);
      const r = await runCli(['watch', '--once', '--metrics-addr', 'off', '--config', file]);
      expect(r.code).toBe(2);
      oneLine(r, new RegExp(`^snapshot-guard: ${file.replaceAll('.', '\\.')}: `));
      expect(r.stderr).toMatch(message);
      expect(await readdir(ws.df)).toHaveLength(3); // the plaintext is untouched
      expect(await sealedIn(ws.out)).toEqual([]);
    },
  );

  it('a missing config file is one line', async () => {
    const r = await runCli(['watch', '--config', '/nonexistent/sg.yaml']);
    expect(r.code).toBe(2);
    oneLine(r, /\/nonexistent\/sg\.yaml: cannot read the config file \(ENOENT\)/);
  });
});

describe('config check FILE', () => {
  it('accepts a good file shared by several subcommands, and says what it holds', async () => {
    const ws = await workspace();
    const file = await configFile(
      ws,
      `dir: ${ws.df}\nout: ${ws.out}\nfrom: ${ws.out}\nkey-file: [${ws.key}]\nkeep-last: 48\nmode: '0640'\nallow-group-access: true\n`,
    );
    const r = await runCli(['config', 'check', file]);
    ok(r, 'config check');
    expect(r.stdout.toString()).toBe(
      `${file}: ok, 7 setting(s): dir, out, from, key-file, keep-last, mode, allow-group-access\n`,
    );
    expect(r.stderr).toBe('');
  });

  it('refuses a bad file with exit code 2 and one line', async () => {
    const ws = await workspace();
    const file = await configFile(ws, `dir: ${ws.df}\nverify-every: 6 hours\n`);
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(2);
    oneLine(r, /: verify-every: expected a duration like 30s, 15m, 6h or 7d, got "6 hours"$/);
  });

  it('--for SUBCOMMAND accepts only the keys that subcommand reads', async () => {
    const ws = await workspace();
    const file = await configFile(ws, `dir: ${ws.df}\nkey-file: ${ws.key}\n`);
    ok(await runCli(['config', 'check', '--for', 'watch', file]), 'check --for watch');
    const r = await runCli(['config', 'check', '--for', 'restore', file]);
    expect(r.code).toBe(2);
    oneLine(r, /: dir: not a setting of `snapshot-guard restore` \(only of watch, doctor, audit\)$/);
  });
});

describe('--print-config', () => {
  it('shows each effective setting with its source, secrets redacted, and starts nothing', async () => {
    const ws = await workspace();
    await snapshot(ws);
    const file = await configFile(
      ws,
      `dir: ${ws.df}\nout: ${ws.out}\nkey-file: ${ws.key}\nkeep-last: 48\ndragonfly-url: redis://:hunter2@127.0.0.1:6379\n`,
    );
    const r = await runCli(['watch', '--config', file, '--print-config', '--keep-last', '10'], {
      env: {
        VAULT_TOKEN: 'hvs.very-secret',
        SNAPSHOT_GUARD_LOG_LEVEL: 'warn',
        VAULT_ADDR: 'https://u:pw@vault:8200',
      },
    });
    ok(r, 'print-config');
    const text = r.stdout.toString();
    for (const secret of ['hunter2', 'hvs.very-secret', ':pw@']) expect(text).not.toContain(secret);
    const line = (key: string) => text.split('\n').find((l) => l.startsWith(`${key}:`)) ?? '';
    expect(line('dir')).toMatch(new RegExp(`^dir: ${ws.df}\\s+# file ${file}$`));
    expect(line('keep-last')).toMatch(/^keep-last: 10\s+# flag$/);
    expect(line('log-level')).toMatch(/^log-level: warn\s+# env SNAPSHOT_GUARD_LOG_LEVEL$/);
    expect(line('shred')).toMatch(/^shred: auto\s+# default$/);
    expect(line('dragonfly-url')).toMatch(
      /^dragonfly-url: redis:\/\/:\[redacted\]@127\.0\.0\.1:6379\s+# file /,
    );
    expect(line('vault-token')).toMatch(/^vault-token: "\[redacted\]"\s+# env VAULT_TOKEN$/);
    expect(line('vault-addr')).toMatch(
      /^vault-addr: https:\/\/u:\[redacted\]@vault:8200\s+# env VAULT_ADDR$/,
    );
    expect(text).toMatch(/^# keep-within:\s+# not set$/m);
    expect(await readdir(ws.df)).toHaveLength(3); // nothing was sealed
    expect(await sealedIn(ws.out)).toEqual([]);
  });

  it('works without the required settings, to show what is missing', async () => {
    const r = await runCli(['restore', '--print-config']);
    ok(r, 'print-config');
    expect(r.stdout.toString()).toMatch(/^# from:\s+# not set$/m);
  });
});

describe('--parallel, the old spelling of --parallelism', () => {
  it('still works and warns, on the command line and in a file', async () => {
    const ws = await workspace();
    const r = await runCli(['watch', '--dir', ws.df, '--out', ws.out, '--parallel', '3', '--print-config']);
    ok(r, 'print-config');
    expect(r.stderr).toBe('snapshot-guard: warning: --parallel is deprecated; use --parallelism\n');
    expect(r.stdout.toString()).toMatch(/^parallelism: 3\s+# flag$/m);

    const file = await configFile(ws, 'parallel: 4\n');
    const f = await runCli(['watch', '--dir', ws.df, '--out', ws.out, '--config', file, '--print-config']);
    ok(f, 'print-config');
    expect(f.stderr).toBe(
      `snapshot-guard: warning: ${file}: parallel is deprecated; write parallelism instead\n`,
    );
    expect(f.stdout.toString()).toMatch(/^parallelism: 4\s+# file /m);
  });

  it('seals with the old spelling as with the new one', async () => {
    const ws = await workspace();
    await snapshot(ws);
    const r = await runCli([
      'watch',
      '--once',
      '--metrics-addr',
      'off',
      '--dir',
      ws.df,
      '--out',
      ws.out,
      '--key-file',
      ws.key,
      '--parallel',
      '1',
    ]);
    ok(r, 'watch --parallel');
    expect(await sealedIn(ws.out)).toHaveLength(1);
  });
});
