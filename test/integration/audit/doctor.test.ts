/** `doctor` includes the audit's one-line summary; configuration findings warn but do not fail doctor. */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { workspace, type Workspace } from '../../helpers/watch-fixtures.js';
import { fixture } from '../../helpers/audit.js';

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

describe('doctor with the audit', () => {
  it("warns with the counts and the worst findings of the analyses' configuration", async () => {
    ws = await workspace();
    const r = await runCli([
      'doctor',
      '--dir',
      ws.df,
      '--out',
      ws.out,
      '--key-file',
      ws.keyFile,
      '--flagfile',
      fixture('analyses-current.flags'),
    ]);
    const out = r.stdout.toString();
    expect(r.code, out).toBe(0);
    expect(out).toMatch(
      /^warn {2}Dragonfly audit \(--flagfile .*analyses-current\.flags; --dir .*\): 0 critical, 5 high, 1 medium, 1 low, 0 info; worst: flag\.snapshot_interval \(high\), flag\.maxmemory-policy \(high\), flag\.loglevel \(high\), …; details and fixes: snapshot-guard audit$/m,
    );
    expect(out).toMatch(/all checks passed\n$/);
  });

  it('is ok for the hardened configuration and for the directory alone', async () => {
    ws = await workspace();
    const base = ['doctor', '--dir', ws.df, '--out', ws.out, '--key-file', ws.keyFile];
    const hardened = await runCli([
      ...base,
      '--flagfile',
      fixture('hardened.flags'),
      '--env-file',
      fixture('hardened.env'),
    ]);
    expect(hardened.stdout.toString()).toMatch(
      /^ok {4}Dragonfly audit \(.*\): 0 critical, 0 high, 0 medium, 0 low, 0 info$/m,
    );
    const dirOnly = await runCli(base);
    expect(dirOnly.stdout.toString()).toMatch(
      /^ok {4}Dragonfly audit \(--dir .*\): 0 critical, 0 high, 0 medium, 0 low, 0 info$/m,
    );
  });
});
