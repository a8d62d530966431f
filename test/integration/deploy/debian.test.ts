/**
 * deploy/debian: what the package ships beside the program. The default configuration file holds only
 * keys that are long option names of `watch` (the shape `--config` reads), and it is what the systemd
 * unit runs with: the unit passes none of its settings as flags, so an edit to the file takes effect. The package itself (lintian,
 * install, boot) is tested by `npm run test:system`; the man page it ships is built here too.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { PROJECT_ROOT } from '../../helpers/cli.js';
import { directives } from '../../helpers/deploy/unit-file.js';
import { parseYaml } from '../../helpers/deploy/yaml.js';

const config = parseYaml(readFileSync('deploy/debian/snapshot-guard.yaml', 'utf8')) as Record<
  string,
  unknown
>;
const watch = (await buildProgram()).commands.find((c) => c.name() === 'watch')!;
const longNames = new Set(watch.options.map((o) => o.long?.replace(/^--/, '')));

describe('/etc/snapshot-guard/snapshot-guard.yaml', () => {
  it('uses only long option names of watch as keys', () => {
    for (const key of Object.keys(config)) expect(longNames.has(key), key).toBe(true);
  });

  it('is what snapshot-guard.service runs with: the unit passes none of its settings as a flag', () => {
    // A flag would silently win over an operator's edit of the file.
    const unit = readFileSync('deploy/systemd/snapshot-guard.service', 'utf8');
    const exec = directives(unit).get('ExecStart')?.[0] ?? '';
    for (const key of Object.keys(config)) expect(exec, key).not.toContain(`--${key}`);
    expect(exec).toContain('--config %d/snapshot-guard.yaml');
    expect(unit).not.toMatch(/^Environment=SNAPSHOT_GUARD_/m);
  });

  it("names a dir and an out inside the unit's ReadWritePaths=, and no key file (the units pass a private copy)", () => {
    const writable = (
      directives(readFileSync('deploy/systemd/snapshot-guard.service', 'utf8')).get('ReadWritePaths')?.[0] ??
      ''
    ).split(' ');
    for (const key of ['dir', 'out']) {
      const path = String(config[key]);
      expect(
        writable.some((w) => path === w || path.startsWith(`${w}/`)),
        `${key}: ${path}`,
      ).toBe(true);
    }
    expect(config['key-file']).toBeUndefined();
  });
});

describe('snapshot-guard(1), made by deploy/debian/manpage.mjs from the built program', () => {
  it('has a section for every subcommand, with its options', async () => {
    const page = execFileSync(
      process.execPath,
      ['deploy/debian/manpage.mjs', join(PROJECT_ROOT, 'dist', 'cli', 'program.js'), '0'],
      { encoding: 'utf8' },
    );
    expect(page).toMatch(/^\.TH SNAPSHOT-GUARD 1 "1970-01-01"/);
    const sections = [...page.matchAll(/^\.SS (\S+)$/gm)].map((m) => m[1]);
    expect(sections).toEqual((await buildProgram()).commands.map((c) => c.name()));
    expect(page).toContain('--copy-to');
  });
});
