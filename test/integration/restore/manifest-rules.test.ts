/**
 * The set rules of docs/FORMAT.md section 12-13 on real sealed sets, through the CLI and the independent
 * Python decoder: a manifest that authenticates but lists an incomplete DFS set, and a set directory
 * renamed to another set id, are refused by both, and restore leaves Dragonfly's directory untouched.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PullReader } from '../../../src/format/chunks.js';
import { decryptFile, encryptFile, readHeader } from '../../../src/format/file.js';
import { Keyring } from '../../../src/keys/keyring.js';
import { LocalKeyProvider } from '../../../src/keys/local/provider.js';
import { readChunks } from '../../../src/io/durable.js';
import { runCli } from '../../helpers/cli.js';
import { runPythonDecoder } from '../../helpers/python-decoder.js';
import {
  restoreWorkspace,
  sealDfs,
  snapshotOfDir,
  type RestoreWorkspace,
} from '../../helpers/restore-fixtures.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

const STEM = 'dump-2026-11-23T17:40:00';

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield await Promise.resolve(b);
}

/**
 * Replaces the set's manifest by one that authenticates under the set's own data key (as someone who
 * holds that key, or a buggy sealer, could write) and whose JSON is `change`d.
 */
async function rewriteManifest(
  setDir: string,
  keyFile: string,
  change: (m: { source: { shardCount: number }; files: { name: string }[] }) => void,
): Promise<void> {
  const path = join(setDir, 'manifest.sgm');
  const reader = new PullReader(readChunks(path, 64 * 1024));
  const header = await readHeader(reader, path);
  const keyring = new Keyring([await LocalKeyProvider.fromFile(keyFile)]);
  const { instance, setId } = header.context;
  const dataKey = await keyring.unwrap(header.wrappedKeys, { instance, setId });
  const parts: Buffer[] = [];
  for await (const c of decryptFile(reader, header, dataKey, path)) parts.push(c);
  await reader.close();
  const manifest = JSON.parse(Buffer.concat(parts).toString()) as Parameters<typeof change>[0];
  change(manifest);
  const forged = Buffer.from(JSON.stringify(manifest));
  const out: Buffer[] = [];
  for await (const c of encryptFile(once(forged), header, dataKey)) out.push(Buffer.from(c));
  await writeFile(path, Buffer.concat(out), { mode: 0o600 });
}

async function restoreInto(w: RestoreWorkspace, setId: string) {
  return runCli(['restore', '--from', w.sealed, '--set', setId, '--to', w.target, '--key-file', w.keyA]);
}

describe('set rules', () => {
  it('a DFS manifest that lists 2 of its 3 shards is refused by restore, verify and the Python decoder', async () => {
    ws = await restoreWorkspace();
    const { setId } = await sealDfs(ws, { stem: STEM, shards: 3, bytesPerShard: 5000 });
    const dir = join(ws.sealed, setId);
    // Shard 2 gone from the manifest and from the directory: every listed file still authenticates.
    await rewriteManifest(dir, ws.keyA, (m) => void m.files.splice(2, 1));
    await unlink(join(dir, `${STEM}-0002.dfs.sg`));

    const restore = await restoreInto(ws, setId);
    expect(restore.code, restore.stderr).toBe(3);
    expect(restore.stderr).toMatch(/manifest\.sgm is invalid: not a complete set: shardCount is 3/);
    expect(restore.stderr.trim().split('\n')).toHaveLength(1);
    expect(await snapshotOfDir(ws.target)).toEqual({ '<missing>': '' });

    const verify = await runCli(['verify', '--from', ws.sealed, '--set', setId, '--key-file', ws.keyA]);
    expect(verify.code).toBe(3);
    expect(verify.stdout.toString()).toMatch(/not a complete set/);

    const py = await runPythonDecoder(['--key-file', ws.keyA, '--verify-set', dir]);
    expect(py.code).toBe(1);
    expect(py.stderr).toMatch(/not a complete set: a dfs set lists shards 0\.\.2 in order/);
  });

  it('the untouched set passes the Python decoder, which checks every file against the manifest', async () => {
    ws = await restoreWorkspace();
    const { setId } = await sealDfs(ws, { stem: STEM, shards: 3, bytesPerShard: 5000 });
    const py = await runPythonDecoder(['--key-file', ws.keyA, '--verify-set', join(ws.sealed, setId)]);
    expect(py.code, py.stderr).toBe(0);
    expect(py.stdout).toMatch(
      new RegExp(
        `^set ${setId}: 4 files authenticated\nmanifest version 2: previous none \\(first set of its chain\\)\nmanifest payload sha256 [0-9a-f]{64}\n$`,
      ),
    );
  });

  it('a set directory renamed to another set id is refused by restore and the Python decoder', async () => {
    ws = await restoreWorkspace();
    const { setId } = await sealDfs(ws, { stem: STEM, shards: 2, bytesPerShard: 5000 });
    const renamed = setId.replace(/^2/, '3'); // still a valid set id, sorts as the newest
    await rename(join(ws.sealed, setId), join(ws.sealed, renamed));

    const restore = await restoreInto(ws, renamed);
    expect(restore.code).toBe(3);
    expect(restore.stderr).toMatch(/belongs to set .*(manifest swapped or set renamed)/);

    const py = await runPythonDecoder(['--key-file', ws.keyA, '--verify-set', join(ws.sealed, renamed)]);
    expect(py.code).toBe(1);
    expect(py.stderr).toMatch(/the directory is named .*its manifest says set/);
    expect(await readFile(join(ws.sealed, renamed, 'manifest.sgm'))).toBeTruthy();
  });
});
