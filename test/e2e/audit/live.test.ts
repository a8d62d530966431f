/**
 * Live probes against a real redis-server: an unauthenticated client that can run commands is the
 * authentication finding; with requirepass and the password in the URL there is none; CONFIG GET-based
 * checks read the server's real values; COMMAND INFO shows which dangerous commands are still there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '../../helpers/redis-server.js';
import { runCli } from '../../helpers/cli.js';
import { auditJson, byId, idsOf } from '../../helpers/audit.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A real redis-server; with a password, set once it runs (the helper's own client stays logged in). */
async function redis(extra: string[], password?: string): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-audit-live-'));
  const server = await RedisServer.start(dir, extra);
  cleanup.push(
    () => rm(dir, { recursive: true, force: true }),
    () => server.stop(),
  );
  if (password) await server.client.config('SET', 'requirepass', password);
  return server;
}

const PASSWORD = 'audit-test-password-5b1f';

describe('audit --dragonfly-url (live, real redis-server)', () => {
  it('without a password: a client without credentials runs commands (critical), and CONFIG GET reads the defaults', async () => {
    const server = await redis([]);
    const { r, report } = await auditJson(['--dragonfly-url', server.url]);
    expect(r.code, r.stderr).toBe(1);
    expect(report.server).toBe('redis');
    expect(idsOf(report.findings)).toEqual([
      'auth.live-unauthenticated critical',
      'auth.password medium', // CONFIG GET bind: loopback only
      'commands.dangerous high',
      'resources.maxclients low',
      'resources.maxmemory medium',
      'snapshots.schedule high', // the test server runs with save ""
    ]);
    expect(byId(report.findings, 'auth.live-unauthenticated').evidence).toMatch(
      /a client without credentials ran DBSIZE \(0 keys\)/,
    );
    expect(byId(report.findings, 'resources.maxmemory').evidence).toMatch(
      /^--maxmemory=0 \(CONFIG GET \(live\)\)/,
    );
    expect(byId(report.findings, 'resources.maxclients').evidence).toMatch(
      /^--maxclients=10000 \(CONFIG GET \(live\)\)/,
    );
    expect(byId(report.findings, 'commands.dangerous').evidence).toMatch(
      /FLUSHALL, FLUSHDB, CONFIG, .*the live server still knows them/,
    );
  });

  it('with requirepass and the password in the URL: no authentication finding; real limits and bind are read', async () => {
    const server = await redis(
      [
        '--maxmemory',
        '64mb',
        '--maxclients',
        '500',
        '--save',
        '300 1',
        '--rename-command',
        'FLUSHALL',
        '',
        '--rename-command',
        'FLUSHDB',
        '',
        '--rename-command',
        'DEBUG',
        '',
      ],
      PASSWORD,
    );
    const url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
    const { r, report } = await auditJson(['--dragonfly-url', url, '--rpo', '10m']);
    expect(r.code, JSON.stringify(report.findings)).toBe(0);
    // CONFIG, SHUTDOWN, SAVE… are still there: renamed ones are not (COMMAND INFO no longer knows them).
    expect(idsOf(report.findings)).toEqual(['commands.dangerous medium']);
    const open = byId(report.findings, 'commands.dangerous').evidence;
    expect(open).toMatch(/^CONFIG, SHUTDOWN, SAVE, BGSAVE, REPLICAOF, SLAVEOF are open/);
    expect(report.sources.join(' ')).toContain(`redis://:***@127.0.0.1:${server.port}`);
    expect(JSON.stringify(report)).not.toContain(PASSWORD);

    // Without the password in the URL the unauthenticated probe is refused (NOAUTH) and INFO fails.
    const bare = await auditJson(['--dragonfly-url', server.url]);
    expect(idsOf(bare.report.findings)).toEqual(['live.unreachable high']);
    expect(byId(bare.report.findings, 'live.unreachable').evidence).toMatch(/NOAUTH/);
  });

  it('CONFIG GET bind: a server listening on every interface is flagged with the real value', async () => {
    const server = await redis(
      ['--bind', '0.0.0.0', '--save', '60 1', '--maxmemory', '64mb', '--maxclients', '100'],
      PASSWORD,
    );
    const { report } = await auditJson(['--dragonfly-url', `redis://:${PASSWORD}@127.0.0.1:${server.port}`]);
    expect(byId(report.findings, 'network.bind').evidence).toMatch(
      /^--bind=0\.0\.0\.0 \(CONFIG GET \(live\)\): listening on every interface/,
    );
    expect(byId(report.findings, 'network.bind').severity).toBe('medium');
    expect(byId(report.findings, 'tls.client').severity).toBe('medium');
    expect(report.findings.map((f) => f.id)).not.toContain('auth.password');
    expect(report.findings.map((f) => f.id)).not.toContain('resources.maxmemory');
  });

  it('an unreachable server is a high finding, not a crash', async () => {
    const r = await runCli(['audit', '--dragonfly-url', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stdout.toString()).toMatch(
      /live\.unreachable +\[undetected attacks\] redis:\/\/127\.0\.0\.1:1: cannot connect/,
    );
  });
});
