/**
 * watch checks everything before it creates anything (#11 items 10, 11): a store URL no store kind
 * supports is refused instead of becoming a local folder named "gs:", and an --out inside --dir is
 * refused without being created.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { workspace, type Workspace } from '../../helpers/watch-fixtures.js';

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => ws.cleanup());

it('refuses an unsupported store URL with one line, exit 2, and creates no local folder', async () => {
  const run = await runCli(
    ['watch', '--once', ...ws.args().map((a) => (a === ws.out ? 'gs://bucket/prefix' : a))],
    { cwd: ws.root },
  );
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toContain('--out gs://bucket/prefix: "gs://" stores are not supported');
  expect(await readdir(ws.root)).not.toContain('gs:');
});

it('refuses an --out inside --dir before creating it', async () => {
  const inside = join(ws.df, 'sealed');
  const run = await runCli(['watch', '--once', ...ws.args().map((a) => (a === ws.out ? inside : a))]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('must not contain each other');
  await expect(stat(inside)).rejects.toMatchObject({ code: 'ENOENT' });
});
