/**
 * deploy/systemd: the units pass `systemd-analyze verify` without a single warning (verify exits 0 even
 * for settings it ignores, so its output must be empty), score 2.0 or lower in
 * `systemd-analyze security --offline=yes`, keep the hardening the docs promise, and agree on paths.
 * The units name /usr/bin/snapshot-guard, which verify requires to exist: the test checks temporary
 * copies whose ExecStart points at an executable that exists (this Node.js binary).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, missing } from '../../helpers/deploy/tools.js';
import { directives } from '../../helpers/deploy/unit-file.js';
import { runCli } from '../../helpers/cli.js';

const SRC = 'deploy/systemd';
const UNITS = ['snapshot-guard.service', 'snapshot-guard-restore.service'];
const MAX_EXPOSURE = 2.0;

const analyze = hasCommand('systemd-analyze');
if (!analyze) console.warn(missing('systemd-analyze', 'systemd'));

const unitText = (name: string) => readFileSync(join(SRC, name), 'utf8');

function run(args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', args, { cwd, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

function exposure(output: string, unit: string): number {
  const m = new RegExp(`Overall exposure level for ${unit.replace('.', '\\.')}: (\\d+\\.\\d+)`).exec(output);
  if (!m?.[1]) throw new Error(`no exposure level in:\n${output}`);
  return Number(m[1]);
}

describe.skipIf(!analyze)('systemd units under systemd-analyze', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sg-systemd-'));
    for (const unit of UNITS) {
      writeFileSync(join(dir, unit), unitText(unit).replaceAll('/usr/bin/snapshot-guard', process.execPath));
    }
    // Dragonfly's own unit is not ours: a minimal stand-in carries our drop-in.
    writeFileSync(join(dir, 'dragonfly.service'), `[Service]\nExecStart=${process.execPath}\n`);
    cpSync(join(SRC, 'dragonfly.service.d'), join(dir, 'dragonfly.service.d'), { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verify: no errors and no warnings, drop-in included', () => {
    const r = run(['verify', ...UNITS.map((u) => `./${u}`), './dragonfly.service'], dir);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('verify catches what it should (so an empty output means something)', () => {
    const broken = join(dir, 'broken.service');
    writeFileSync(
      broken,
      unitText('snapshot-guard.service').replace('ProtectSystem=strict', 'ProtectSystem=bogus'),
    );
    try {
      const r = run(['verify', './broken.service'], dir);
      expect(r.output).toContain('Failed to parse protect system value');
    } finally {
      rmSync(broken);
    }
  });

  it.each(UNITS)(`security --offline=yes: %s scores ${MAX_EXPOSURE} or lower`, (unit) => {
    const r = run(['security', '--offline=yes', `./${unit}`], dir);
    expect(r.status).toBe(0);
    const level = exposure(r.output, unit);
    console.info(`systemd-analyze security --offline=yes ${unit}: exposure ${level}`);
    expect(level).toBeLessThanOrEqual(MAX_EXPOSURE);
  });

  it('stays at 2.0 or lower with the remote key provider drop-in installed, which verifies cleanly', () => {
    const dropins = join(dir, 'snapshot-guard.service.d');
    cpSync(join(SRC, 'snapshot-guard.service.d'), dropins, { recursive: true });
    renameSync(
      join(dropins, '50-remote-key-provider.conf.example'),
      join(dropins, '50-remote-key-provider.conf'),
    );
    try {
      const v = run(['verify', './snapshot-guard.service', './snapshot-guard-restore.service'], dir);
      expect(v.output).toBe('');
      const r = run(['security', '--offline=yes', './snapshot-guard.service'], dir);
      expect(exposure(r.output, 'snapshot-guard.service')).toBeLessThanOrEqual(MAX_EXPOSURE);
    } finally {
      rmSync(dropins, { recursive: true, force: true });
    }
  });
});

const sysusersTool = hasCommand('systemd-sysusers');

describe.skipIf(!sysusersTool)('sysusers snippet under systemd-sysusers', () => {
  // systemd rejects a whole line it cannot parse (a colon in the description is not a valid GECOS
  // field), and then the user the units run as never exists.
  it('creates the service user, the Dragonfly user and group, and the membership in an empty root', () => {
    const root = mkdtempSync(join(tmpdir(), 'sg-sysusers-'));
    try {
      mkdirSync(join(root, 'etc'));
      const r = spawnSync(
        'systemd-sysusers',
        [`--root=${root}`, resolve(SRC, 'snapshot-guard.sysusers.conf')],
        {
          encoding: 'utf8',
        },
      );
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/not a valid|ignoring|failed/i);
      expect(r.status).toBe(0);
      const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
      const group = readFileSync(join(root, 'etc/group'), 'utf8');
      expect(passwd).toMatch(
        /^snapshot-guard:x:\d+:\d+:[^:]*:\/var\/lib\/snapshot-guard:\/usr\/sbin\/nologin$/m,
      );
      // The restore unit runs as User=dragonfly and tmpfiles gives Dragonfly's --dir to it.
      expect(passwd).toMatch(/^dragonfly:x:\d+:\d+:/m);
      expect(group).toMatch(/^dragonfly:x:\d+:snapshot-guard$/m);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('systemd units, as written', () => {
  const main = directives(unitText('snapshot-guard.service'));
  const restore = directives(unitText('snapshot-guard-restore.service'));
  const dropin = directives(
    readFileSync(join(SRC, 'dragonfly.service.d/10-snapshot-guard-restore.conf'), 'utf8'),
  );

  it.each([
    ['snapshot-guard.service', main],
    ['snapshot-guard-restore.service', restore],
  ])('%s keeps its hardening', (_name, d) => {
    const expected: Record<string, string> = {
      UMask: '0077',
      ProtectSystem: 'strict',
      NoNewPrivileges: 'yes',
      SystemCallArchitectures: 'native',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      ProtectHome: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectKernelLogs: 'yes',
      ProtectControlGroups: 'yes',
      ProtectClock: 'yes',
      ProtectHostname: 'yes',
      ProtectProc: 'invisible',
      ProcSubset: 'pid',
      LockPersonality: 'yes',
      RestrictRealtime: 'yes',
      RestrictSUIDSGID: 'yes',
      RestrictNamespaces: 'yes',
      RemoveIPC: 'yes',
      IPAddressDeny: 'any',
      IPAddressAllow: 'localhost',
      EnvironmentFile: '-/etc/snapshot-guard/snapshot-guard.env',
    };
    for (const [key, value] of Object.entries(expected)) expect(d.get(key), key).toEqual([value]);
    expect(d.get('SystemCallFilter')?.[0]).toBe('@system-service');
    // Node's JIT needs W+X memory: MemoryDenyWriteExecute=yes would kill it at start.
    expect(d.has('MemoryDenyWriteExecute')).toBe(false);
    expect(d.get('ExecStart')?.[0]).toContain('--key-file %d/snapshot-guard.key');
    // The key and the config file (it may hold a password) arrive as private credentials.
    expect(d.get('LoadCredential')).toEqual([
      'snapshot-guard.key:/etc/snapshot-guard/snapshot-guard.key',
      'snapshot-guard.yaml:/etc/snapshot-guard/snapshot-guard.yaml',
    ]);
    expect(d.get('ExecStart')?.[0]).toContain('--config %d/snapshot-guard.yaml');
  });

  it("the daemon: its own user in Dragonfly's group, no capabilities, writable only where it works", () => {
    expect(main.get('User')).toEqual(['snapshot-guard']);
    expect(main.get('SupplementaryGroups')).toEqual(['dragonfly']);
    expect(main.get('CapabilityBoundingSet')).toEqual(['']);
    expect(main.get('Type')).toEqual(['simple']);
    expect(main.get('Restart')).toEqual(['on-failure']);
    expect(main.get('ReadWritePaths')).toEqual(['/var/lib/dragonfly/snapshots /var/lib/snapshot-guard']);
    const exec = main.get('ExecStart')?.[0] ?? '';
    // Everything else (directories, retention, verification, metrics address) is in the config file.
    expect(exec).toBe(
      '/usr/bin/snapshot-guard watch --config %d/snapshot-guard.yaml --key-file %d/snapshot-guard.key $SNAPSHOT_GUARD_ARGS $SNAPSHOT_GUARD_WATCH_ARGS',
    );
    expect(main.get('Environment')).toBeUndefined();
  });

  it('the packaged config file passes `config check`, for every command and for watch', async () => {
    for (const only of [[], ['--for', 'watch']]) {
      const r = await runCli(['config', 'check', ...only, 'deploy/debian/snapshot-guard.yaml']);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it("the restore: before Dragonfly, as Dragonfly's user, reading sealed sets with one read-only capability", () => {
    expect(restore.get('Type')).toEqual(['oneshot']);
    expect(restore.get('Before')).toEqual(['dragonfly.service']);
    expect(restore.get('User')).toEqual(['dragonfly']);
    expect(restore.get('CapabilityBoundingSet')).toEqual(['CAP_DAC_READ_SEARCH']);
    expect(restore.get('AmbientCapabilities')).toEqual(['CAP_DAC_READ_SEARCH']);
    expect(restore.get('TemporaryFileSystem')).toEqual(['/var:ro']);
    expect(restore.get('BindReadOnlyPaths')).toEqual(['-/var/lib/snapshot-guard/sealed']);
    expect(restore.get('BindPaths')).toEqual(['/var/lib/dragonfly/snapshots']);
    const exec = restore.get('ExecStart')?.[0] ?? '';
    expect(exec).toMatch(/^\/usr\/bin\/snapshot-guard restore /);
    for (const flag of [
      '--from /var/lib/snapshot-guard/sealed',
      '--latest',
      '--if-empty',
      '--to /var/lib/dragonfly/snapshots',
    ]) {
      expect(exec).toContain(flag);
    }
  });

  it('the Dragonfly drop-in requires the restore and makes snapshots 0660', () => {
    expect(dropin.get('Requires')).toEqual(['snapshot-guard-restore.service']);
    expect(dropin.get('After')).toEqual(['snapshot-guard-restore.service']);
    expect(dropin.get('UMask')).toEqual(['0007']);
  });

  it('sysusers and tmpfiles create the user, the group membership and the directories the units use', () => {
    const sysusers = readFileSync(join(SRC, 'snapshot-guard.sysusers.conf'), 'utf8');
    expect(sysusers).toMatch(/^u snapshot-guard /m);
    expect(sysusers).toMatch(/^m snapshot-guard dragonfly$/m);
    const tmpfiles = readFileSync(join(SRC, 'snapshot-guard.tmpfiles.conf'), 'utf8');
    expect(tmpfiles).toMatch(/^d \/var\/lib\/dragonfly\/snapshots 2770 dragonfly dragonfly -$/m);
    expect(tmpfiles).toMatch(/^d \/var\/lib\/snapshot-guard\/sealed 0700 snapshot-guard snapshot-guard -$/m);
  });

  it('the sample environment file sets nothing secret and only known variables', () => {
    const env = readFileSync(join(SRC, 'snapshot-guard.env'), 'utf8');
    const set = env
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.slice(0, l.indexOf('=')));
    expect(set).toEqual(['SNAPSHOT_GUARD_ARGS', 'SNAPSHOT_GUARD_WATCH_ARGS']);
    expect(env).not.toMatch(/^[^#]*(TOKEN|SECRET|PASSWORD)/m);
  });
});
