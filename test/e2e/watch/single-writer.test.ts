/**
 * One writer per store and per Dragonfly directory: a second `watch` (or `watch --once` beside a
 * running one) is refused with one line naming the holder, before it touches anything; a holder killed
 * with SIGKILL does not block the next start.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { setIdFor } from '../../../src/store/names.js';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { Daemon } from '../../helpers/daemon.js';
import { workspace, type Workspace } from '../../helpers/watch-fixtures.js';

let ws: Workspace;
let daemons: Daemon[] = [];

beforeEach(async () => {
  ws = await workspace();
  daemons = [];
});
afterEach(async () => {
  for (const d of daemons) await d.kill();
  await ws.cleanup();
});

function start(args: string[]): Daemon {
  const d = Daemon.start(args);
  daemons.push(d);
  return d;
}

const watching = (l: { msg: string }) => l.msg === 'watching for finished snapshots';

describe('single writer', () => {
  it('refuses a second watch on the same --out, naming the first, and leaves its staging alone', async () => {
    const first = start(ws.args());
    await first.waitFor(watching);
    // Work in progress of the first writer that a second one must never clear.
    await mkdir(join(ws.out, '.staging', 'in-progress'), { recursive: true });
    const otherDir = join(ws.root, 'other-dragonfly');
    await mkdir(otherDir, { mode: 0o700 });
    const second = await runCli(['watch', '--once', ...ws.args().map((a) => (a === ws.df ? otherDir : a))]);
    expect(second.code).toBe(1);
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${ws.out} is in use by another snapshot-guard`);
    expect(lines[0]).toContain(`pid ${first.child.pid}`);
    expect(await readdir(join(ws.out, '.staging'))).toEqual(['in-progress']);
    expect(first.running).toBe(true);
  });

  it('refuses a second watch on the same --dir with another --out', async () => {
    const first = start(ws.args());
    await first.waitFor(watching);
    const second = await runCli([
      'watch',
      '--once',
      ...ws.args().map((a) => (a === ws.out ? join(ws.root, 'out2') : a)),
    ]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`${ws.df} is in use by another snapshot-guard`);
    expect(second.stderr).toContain(`pid ${first.child.pid}`);
  });

  it('takes over the locks of a writer killed with SIGKILL, and seals', async () => {
    const first = start(ws.args());
    await first.waitFor(watching);
    expect(await first.kill('SIGKILL')).toBe(137);
    await writeFile(
      join(ws.df, 'dump.rdb'),
      Buffer.concat([Buffer.from('REDIS0011'), Buffer.alloc(1000, 7)]),
    );
    const again = await runCli(['watch', '--once', ...ws.args()]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect((await readdir(ws.out)).filter((n) => !n.startsWith('.'))).toHaveLength(1);
  });
});

describe('what an earlier writer left', () => {
  it('quarantines a set directory published without a manifest instead of failing forever', async () => {
    const data = Buffer.concat([Buffer.from('REDIS0011'), Buffer.alloc(1000, 7)]);
    await writeFile(join(ws.df, 'dump.rdb'), data);
    const mtime = (await stat(join(ws.df, 'dump.rdb'))).mtimeMs;
    const empty = join(ws.out, setIdFor(mtime, 'dump'));
    await mkdir(empty, { recursive: true });
    const run = await runCli(['watch', '--once', ...ws.args()]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await readdir(join(ws.out, '.quarantine'))).toHaveLength(1);
    const sets = (await readdir(ws.out)).filter((n) => !n.startsWith('.'));
    expect(sets).toEqual([setIdFor(mtime, 'dump')]);
    expect(await readdir(join(ws.out, sets[0] ?? ''))).toContain('manifest.sgm');
  });
});
