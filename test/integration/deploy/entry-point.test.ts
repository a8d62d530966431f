/**
 * bin/snapshot-guard, the development entry point, runs on whatever `node` comes first on PATH. On a
 * Node older than package.json's engines (22.12) it must say so in one line (which Node, where, how to
 * get the right one) instead of failing somewhere inside the program. The check needs an old Node:
 * Debian 12's /usr/bin/node (Node 18) or NodeSource's Node 20, when installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
  if (!existsSync(p)) return false;
  const v = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const [major = 0, minor = 0] = v.split('.').map(Number);
  return major < 22 || (major === 22 && minor < 12);
});
if (!OLD_NODE) console.warn('no Node older than 22.12 on this machine: skipping the old-Node check');

describe('bin/snapshot-guard', () => {
  it.skipIf(!OLD_NODE)(
    'refuses a Node older than 22.12 with one line that names it and `npm run setup`',
    () => {
      const r = spawnSync(OLD_NODE!, ['bin/snapshot-guard', '--version'], { encoding: 'utf8' });
      const version = spawnSync(OLD_NODE!, ['--version'], { encoding: 'utf8' }).stdout.trim();
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^snapshot-guard: /);
      expect(lines[0]).toContain(version);
      expect(lines[0]).toContain(OLD_NODE);
      expect(lines[0]).toContain('22.12');
      expect(lines[0]).toContain('npm run setup');
    },
  );

  it('runs on the project Node', () => {
    const r = spawnSync(process.execPath, ['bin/snapshot-guard', '--version'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r.status).toBe(0);
  });
});
