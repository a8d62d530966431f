/**
 * `verify` without a key that opens the set proves nothing about the set: it must not record the set as
 * FAILED (list, doctor and the runbook trust status.json), and it exits with its own code (4).
 */
import { afterEach, expect, it } from 'vitest';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { readSetStatus } from '../../helpers/sealed.js';
import { restoreWorkspace, sealRdb, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

it('a wrong key records nothing and exits 4; the right key still verifies the set', async () => {
  ws = await restoreWorkspace();
  const set = await sealRdb(ws);
  const before = await readSetStatus(join(ws.sealed, set.setId));
  expect(before?.ok).toBe(true);

  const wrong = await runCli(['verify', '--from', ws.sealed, '--key-file', ws.keyB]);
  expect(wrong.code).toBe(4);
  expect(wrong.stdout.toString()).toContain(`NO KEY  ${set.setId}`);
  expect(wrong.stderr).toContain('none of the configured keys');
  expect(await readSetStatus(join(ws.sealed, set.setId))).toEqual(before);

  const list = await runCli(['list', '--from', ws.sealed]);
  expect(list.stdout.toString()).not.toContain('FAILED');

  const right = await runCli(['verify', '--from', ws.sealed, '--key-file', ws.keyA]);
  expect(right.code).toBe(0);
});
