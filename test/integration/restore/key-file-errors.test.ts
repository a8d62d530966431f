/**
 * A missing key file: commands that open sealed data must not suggest `keygen` (a new key can never
 * open a set sealed with another one); commands that seal new data may.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { restoreWorkspace, sealRdb, type RestoreWorkspace } from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

describe('a missing key file', () => {
  it('restore, verify and rewrap ask for the key the set was sealed with, not for a new one', async () => {
    ws = await restoreWorkspace();
    const { setId } = await sealRdb(ws);
    const missing = join(ws.root, 'lost.key');
    for (const args of [
      ['restore', '--from', ws.sealed, '--set', setId, '--to', ws.target, '--key-file', missing],
      ['verify', '--from', ws.sealed, '--set', setId, '--key-file', missing],
      ['rewrap', '--from', ws.sealed, '--key-file', missing, '--to-key', `file:${ws.keyB}`],
    ]) {
      const r = await runCli(args);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(
        `snapshot-guard: key file ${missing} does not exist; pass the key file the data was sealed with (a new key from keygen can never open it)`,
      );
    }
  });

  it('encrypt, which seals new data, still says how to make a key', async () => {
    ws = await restoreWorkspace();
    const missing = join(ws.root, 'new.key');
    const r = await runCli(['encrypt', '-', '-o', '-', '--key-file', missing], { input: Buffer.from('x') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`create one with: snapshot-guard keygen --out ${missing}`);
  });
});
