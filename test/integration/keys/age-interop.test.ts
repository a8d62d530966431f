/**
 * The age provider against the real age tools: identities from age-keygen (one per file, and a file
 * holding several), two recipients restoring with either identity, the break-glass path (extract-key,
 * then `age -d`) giving the data key, a write-only host's restore refused in one line, and rewrap adding
 * and removing recipients.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { runPythonDecoder } from '../../helpers/python-decoder.js';
import { ageDecrypt, ageKeygen } from '../../helpers/age-tools.js';
import { readSetInfo } from '../../helpers/sealed.js';
import {
  restoreWorkspace,
  snapshotOfDir,
  writeScannableDfs,
  type RestoreWorkspace,
} from '../../helpers/restore-fixtures.js';
import { PullReader } from '../../../src/format/chunks.js';
import { readHeader } from '../../../src/format/file.js';
import { verifyHeaderMac } from '../../../src/format/header.js';
import { readChunks } from '../../../src/io/durable.js';
import { recipientSetKeyId } from '../../../src/keys/age/index.js';

let ws: RestoreWorkspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

/** Seals what is in ws.source with `watch --once` holding only recipients (a write-only host). */
async function sealWriteOnly(w: RestoreWorkspace, recipients: string[]): Promise<string> {
  const res = await runCli([
    'watch',
    '--once',
    '--dir',
    w.source,
    '--out',
    w.sealed,
    '--metrics-addr',
    'off',
    '--segment-size',
    '64KiB',
    ...recipients.flatMap((r) => ['--age-recipient', r]),
  ]);
  expect(res.code, res.stderr).toBe(0);
  const list = await runCli(['list', '--from', w.sealed, '--json']);
  const [newest] = JSON.parse(list.stdout.toString()) as { setId: string }[];
  return newest!.setId;
}

describe('age recipients and identities with the real age tools', () => {
  it('seals for two age-keygen recipients; either identity restores byte-identically; the recipient-only host cannot', async () => {
    ws = await restoreWorkspace();
    const alice = ageKeygen(ws.root, 'alice.txt');
    const bob = ageKeygen(ws.root, 'bob.txt');
    const written = await writeScannableDfs(ws.source, { shards: 4 });
    const setId = await sealWriteOnly(ws, [alice.recipient, bob.recipient]);
    const info = await readSetInfo(join(ws.sealed, setId));
    expect(info?.wrappedKeys).toEqual([
      { provider: 'age', keyId: recipientSetKeyId([alice.recipient, bob.recipient]) },
    ]);

    // The write-only host: one line, what to use instead, no output.
    const denied = await runCli([
      'restore',
      '--from',
      ws.sealed,
      '--latest',
      '--to',
      ws.target,
      '--age-recipient',
      alice.recipient,
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stderr.trim().split('\n')).toHaveLength(1);
    expect(denied.stderr).toMatch(/this host holds no key that can open sealed sets.*--age-identity PATH/);
    expect(await snapshotOfDir(ws.target)).toEqual({ '<missing>': '' });

    for (const who of [alice, bob]) {
      const to = join(ws.root, `restored-${who === alice ? 'a' : 'b'}`);
      const res = await runCli([
        'restore',
        '--from',
        ws.sealed,
        '--latest',
        '--to',
        to,
        '--age-identity',
        who.path,
      ]);
      expect(res.code, res.stderr).toBe(0);
      for (const [name, bytes] of written.contents)
        expect((await readFile(join(to, name))).equals(bytes), name).toBe(true);
    }

    // An identity file holding several keys (age-keygen output concatenated) works too.
    const several = join(ws.root, 'several.txt');
    const stranger = ageKeygen(ws.root, 'stranger.txt');
    await writeFile(several, Buffer.concat([await readFile(stranger.path), await readFile(bob.path)]), {
      mode: 0o600,
    });
    const v = await runCli(['verify', '--from', ws.sealed, '--latest', '--age-identity', several]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.toString()).toMatch(/^ok /);

    // Only the stranger: not a recipient, said plainly (exit 4: no configured key opens it).
    const s = await runCli(['verify', '--from', ws.sealed, '--latest', '--age-identity', stranger.path]);
    expect(s.code).toBe(4);
    expect(s.stderr).toMatch(/is a recipient of this set's age copy/);
  });

  it('break glass: extract-key writes a standard age file that `age -d` opens to the 32-byte data key', async () => {
    ws = await restoreWorkspace();
    const alice = ageKeygen(ws.root, 'alice.txt');
    const written = await writeScannableDfs(ws.source, { shards: 2 });
    const setId = await sealWriteOnly(ws, [alice.recipient]);
    const extracted = await runCli(['extract-key', '--from', ws.sealed, '--set', setId, '--provider', 'age']);
    expect(extracted.code, extracted.stderr).toBe(0);
    const file = join(ws.root, 'wrapped.age');
    await writeFile(file, extracted.stdout);
    const dataKey = ageDecrypt(alice.path, file);
    expect(dataKey).toHaveLength(32);
    // It is this set's data key: it authenticates the header of every file of the set.
    for (const name of ['manifest.sgm', 'dump-2026-11-23T17:40:00-summary.dfs.sg']) {
      const reader = new PullReader(readChunks(join(ws.sealed, setId, name)));
      const header = await readHeader(reader);
      await reader.close();
      expect(() => verifyHeaderMac(header, dataKey)).not.toThrow();
    }
    // The independent Python decoder opens the age copy (with the real `age -d`) and the payload.
    const shard = 'dump-2026-11-23T17:40:00-0000.dfs';
    const out = join(ws.root, 'decoded');
    const py = await runPythonDecoder([
      '--age-identity',
      alice.path,
      join(ws.sealed, setId, `${shard}.sg`),
      out,
    ]);
    expect(py.code, py.stderr).toBe(0);
    expect((await readFile(out)).equals(written.contents.get(shard)!)).toBe(true);
    // The same from one encrypted file, without a store.
    const one = await runCli(['extract-key', join(ws.sealed, setId, 'manifest.sgm')]);
    expect(one.stdout.equals(extracted.stdout)).toBe(true);
    // Asking for a provider the set does not have names the ones it has.
    const none = await runCli(['extract-key', '--from', ws.sealed, '--provider', 'kms']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no kms copy of the data key here; it has age:x25519-/);
  });

  it('encrypt and decrypt one file: either recipient decrypts, a recipient-only decrypt says why not', async () => {
    ws = await restoreWorkspace();
    const alice = ageKeygen(ws.root, 'alice.txt');
    const bob = ageKeygen(ws.root, 'bob.txt');
    const plain = join(ws.root, 'plain.bin');
    const bytes = Buffer.alloc(300_000, 7);
    await writeFile(plain, bytes);
    const sealed = join(ws.root, 'plain.sg');
    const enc = await runCli([
      'encrypt',
      '--age-recipient',
      alice.recipient,
      '--age-recipient',
      bob.recipient,
      '-o',
      sealed,
      plain,
    ]);
    expect(enc.code, enc.stderr).toBe(0);
    for (const who of [alice, bob]) {
      const out = join(ws.root, `out-${who === alice ? 'a' : 'b'}`);
      const dec = await runCli(['decrypt', '--age-identity', who.path, '-o', out, sealed]);
      expect(dec.code, dec.stderr).toBe(0);
      expect((await readFile(out)).equals(bytes)).toBe(true);
    }
    const denied = await runCli([
      'decrypt',
      '--age-recipient',
      alice.recipient,
      '-o',
      join(ws.root, 'x'),
      sealed,
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      /^snapshot-guard: decrypt: this host holds no key that can open sealed sets/,
    );
    // watch and encrypt never take an identity.
    const noIdentity = await runCli([
      'encrypt',
      '--age-identity',
      alice.path,
      '-o',
      join(ws.root, 'y'),
      plain,
    ]);
    expect(noIdentity.code).toBe(2);
  });

  it('a passphrase-encrypted identity file is refused with one line', async () => {
    ws = await restoreWorkspace();
    const alice = ageKeygen(ws.root, 'alice.txt');
    await writeScannableDfs(ws.source, { shards: 2 });
    await sealWriteOnly(ws, [alice.recipient]);
    // What `age -p -o enc.txt alice.txt` writes (scrypt recipient); made here without a terminal.
    const { Encrypter } = await import('age-encryption');
    const e = new Encrypter();
    e.setPassphrase('correct horse battery staple');
    e.setScryptWorkFactor(10);
    const enc = join(ws.root, 'alice.enc');
    await writeFile(enc, await e.encrypt(await readFile(alice.path)), { mode: 0o600 });
    await chmod(enc, 0o600);
    const res = await runCli([
      'restore',
      '--from',
      ws.sealed,
      '--latest',
      '--to',
      ws.target,
      '--age-identity',
      enc,
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/is passphrase-encrypted/);
  });

  it('rewrap adds an age recipient (then the new identity restores) and removes the old one', async () => {
    ws = await restoreWorkspace();
    const old = ageKeygen(ws.root, 'old.txt');
    const next = ageKeygen(ws.root, 'next.txt');
    const written = await writeScannableDfs(ws.source, { shards: 2 });
    const setId = await sealWriteOnly(ws, [old.recipient]);
    const oldId = recipientSetKeyId([old.recipient]);
    const newId = recipientSetKeyId([next.recipient]);

    // A write-only host cannot rewrap: it cannot open the set.
    const refused = await runCli([
      'rewrap',
      '--from',
      ws.sealed,
      '--to-key',
      `age:${next.recipient}`,
      '--age-recipient',
      old.recipient,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/rewrap: this host holds no key that can open sealed sets/);

    // --age-recipient on rewrap adds a copy for it, like --to-key age:…; running it again changes nothing.
    for (const expected of ['rewrapped', 'unchanged']) {
      const add = await runCli([
        'rewrap',
        '--from',
        ws.sealed,
        '--age-recipient',
        next.recipient,
        '--age-identity',
        old.path,
      ]);
      expect(add.code, add.stderr).toBe(0);
      expect(add.stdout.toString()).toMatch(new RegExp(`^${expected} `));
      expect(add.stdout.toString()).toContain(`age:${oldId}, age:${newId}`);
    }
    const drop = await runCli([
      'rewrap',
      '--from',
      ws.sealed,
      '--drop-key',
      `age:${oldId}`,
      '--age-identity',
      next.path,
    ]);
    expect(drop.code, drop.stderr).toBe(0);
    expect((await readSetInfo(join(ws.sealed, setId)))?.wrappedKeys).toEqual([
      { provider: 'age', keyId: newId },
    ]);

    const gone = await runCli([
      'restore',
      '--from',
      ws.sealed,
      '--latest',
      '--to',
      ws.target,
      '--age-identity',
      old.path,
    ]);
    expect(gone.code).toBe(1);
    const res = await runCli([
      'restore',
      '--from',
      ws.sealed,
      '--latest',
      '--to',
      ws.target,
      '--age-identity',
      next.path,
    ]);
    expect(res.code, res.stderr).toBe(0);
    for (const [name, bytes] of written.contents)
      expect((await readFile(join(ws.target, name))).equals(bytes)).toBe(true);
  });
});
