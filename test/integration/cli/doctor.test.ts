/** `snapshot-guard doctor` against real directories, keys and a sealed set. */
import { afterEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { writeRdbFile } from '../../helpers/dfs-writer.js';
import { workspace, type Workspace } from '../../helpers/watch-fixtures.js';

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

const doctor = (w: Workspace, ...extra: string[]) =>
  runCli(['doctor', '--dir', w.df, '--out', w.out, '--key-file', w.keyFile, ...extra]);

describe('doctor', () => {
  it('passes on a healthy host and reports the newest sealed set', async () => {
    ws = await workspace();
    await writeRdbFile(ws.df, 'dump.rdb', 1000);
    await chmod(join(ws.df, 'dump.rdb'), 0o600);
    expect((await runCli(['watch', ...ws.args('--once')])).code).toBe(0);
    const r = await doctor(ws);
    const out = r.stdout.toString();
    expect(r.code, out).toBe(0);
    expect(out).toMatch(/^ok {4}keys can wrap and unwrap a data key: local key/m);
    expect(out).toMatch(/1 sealed set\(s\); newest \d{8}T\d{6}\.\d{3}Z_dump, last verified .*: ok/);
    expect(out).toMatch(/the newest set's data key unwraps/);
    expect(out).toMatch(/^ok {4}the chain of 1 sealed set\(s\) has no gap and no replaced set/m);
    expect(out).toMatch(/all checks passed\n$/);
  });

  it('fails, with the fix, on a wrong key and an unreachable Dragonfly; warns about waiting snapshots', async () => {
    ws = await workspace();
    await writeRdbFile(ws.df, 'dump.rdb', 1000);
    expect((await runCli(['watch', ...ws.args('--once')])).code).toBe(0);
    await writeRdbFile(ws.df, 'dump.rdb', 1000); // a new, unsealed snapshot (world-readable)
    const other = join(ws.root, 'other.key');
    expect((await runCli(['keygen', '--out', other])).code).toBe(0);
    const r = await runCli([
      'doctor',
      '--dir',
      ws.df,
      '--out',
      ws.out,
      '--key-file',
      other,
      '--dragonfly-url',
      'redis://127.0.0.1:1',
    ]);
    const out = r.stdout.toString();
    expect(r.code).toBe(1);
    expect(out).toMatch(/^warn {2}.*world-readable.*UMask=0077/m);
    expect(out).toMatch(/^ok {4}unsealed rdb snapshot "dump"/m);
    expect(out).toMatch(/^FAIL {2}cannot unwrap the newest set: .*wrapped by local:/m);
    expect(out).toMatch(/^FAIL {2}Dragonfly does not answer/m);
    expect(out).toMatch(/2 check\(s\) failed/);
  });

  it('fails clearly without a key or with an unusable directory', async () => {
    ws = await workspace();
    await mkdir(ws.out, { mode: 0o700 });
    await writeFile(join(ws.root, 'not-a-dir'), '');
    const r = await runCli(['doctor', '--dir', join(ws.root, 'not-a-dir'), '--out', ws.out]);
    const out = r.stdout.toString();
    expect(r.code).toBe(1);
    expect(out).toMatch(/^FAIL {2}--dir .*not-a-dir is not a directory/m);
    expect(out).toMatch(/^FAIL {2}no key configured: pass --key-file/m);
  });
});
