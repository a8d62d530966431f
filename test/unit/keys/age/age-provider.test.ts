/** The age provider in-process: recipients and identity files, write-only behaviour, error lines. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decrypter, Encrypter, armor, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { Keyring } from '../../../../src/keys/keyring.js';
import {
  AgeKeyProvider,
  AgeNoIdentityError,
  loadIdentityFile,
  loadRecipientsFile,
  parseRecipient,
  recipientSetKeyId,
} from '../../../../src/keys/age/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-age-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const ctx = { instance: 'i', setId: 's' };

async function identity(): Promise<{ secret: string; recipient: string }> {
  const secret = await generateX25519Identity();
  return { secret, recipient: await identityToRecipient(secret) };
}

async function identityFile(name: string, text: string, mode = 0o600): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, { mode });
  await chmod(path, mode);
  return path;
}

describe('age recipients', () => {
  it('accepts X25519 recipients and refuses identities, other types and bad checksums', async () => {
    const { secret, recipient } = await identity();
    expect(parseRecipient(` ${recipient} `, '--age-recipient')).toBe(recipient);
    expect(() => parseRecipient(secret, '--age-recipient')).toThrow(/that is an identity, a secret/);
    expect(() => parseRecipient('age1pq1xyz', '--age-recipient')).toThrow(/is not an age recipient/);
    const broken = recipient.slice(0, -1) + (recipient.endsWith('q') ? 'p' : 'q');
    expect(() => parseRecipient(broken, '--age-recipient')).toThrow(/bad checksum/);
  });

  it('reads a recipients file with comments and names the bad line', async () => {
    const a = await identity();
    const b = await identity();
    const good = await identityFile('r.txt', `# team\n${a.recipient}\n\n${b.recipient}\n`, 0o644);
    expect(await loadRecipientsFile(good)).toEqual([a.recipient, b.recipient]);
    const bad = await identityFile('bad.txt', `${a.recipient}\nnot-a-recipient\n`, 0o644);
    await expect(loadRecipientsFile(bad)).rejects.toThrow(`${bad} line 2`);
    await expect(loadRecipientsFile(join(dir, 'missing'))).rejects.toThrow(/does not exist/);
  });

  it('the key id depends on the set of recipients only, not their order or repeats', async () => {
    const a = (await identity()).recipient;
    const b = (await identity()).recipient;
    expect(recipientSetKeyId([a, b])).toBe(recipientSetKeyId([b, a, b]));
    expect(recipientSetKeyId([a])).not.toBe(recipientSetKeyId([a, b]));
    expect(recipientSetKeyId([a])).toMatch(/^x25519-[0-9a-f]{16}$/);
  });
});

describe('age identity files', () => {
  it('loads every identity of a file holding several keys', async () => {
    const a = await identity();
    const b = await identity();
    const path = await identityFile(
      'ids.txt',
      `# created: x\n# public key: ${a.recipient}\n${a.secret}\n${b.secret}\n`,
    );
    expect((await loadIdentityFile(path)).map((i) => i.recipient)).toEqual([a.recipient, b.recipient]);
  });

  it('refuses passphrase-encrypted identity files (binary and armored) in one line', async () => {
    const a = await identity();
    const e = new Encrypter();
    e.setPassphrase('correct horse battery staple');
    e.setScryptWorkFactor(10);
    const encrypted = await e.encrypt(`${a.secret}\n`);
    const bin = join(dir, 'enc.age');
    await writeFile(bin, encrypted, { mode: 0o600 });
    const arm = await identityFile('enc.asc', armor.encode(encrypted));
    for (const path of [bin, arm]) {
      const err = (await loadIdentityFile(path).then(
        () => new Error('loaded'),
        (x: unknown) => x,
      )) as Error;
      expect(err.message).toMatch(/is passphrase-encrypted/);
      expect(err.message).not.toContain('\n');
    }
  });

  it('refuses identity files that group or others can read, and lines that are not identities', async () => {
    const a = await identity();
    const open = await identityFile('open.txt', `${a.secret}\n`, 0o644);
    await expect(loadIdentityFile(open)).rejects.toThrow(/chmod 600/);
    const pub = await identityFile('pub.txt', `${a.recipient}\n`);
    await expect(loadIdentityFile(pub)).rejects.toThrow(/line 1 is not an X25519 identity/);
    const empty = await identityFile('empty.txt', '# nothing\n');
    await expect(loadIdentityFile(empty)).rejects.toThrow(/holds no identity/);
  });
});

describe('AgeKeyProvider', () => {
  it('wraps the data key as a standard age file that any recipient opens to exactly 32 bytes', async () => {
    const a = await identity();
    const b = await identity();
    const sealer = new AgeKeyProvider([a.recipient, b.recipient], []);
    expect(sealer.writeOnly).toBe(true);
    const { plaintext, wrapped } = await sealer.generateDataKey();
    expect(wrapped.provider).toBe('age');
    expect(wrapped.keyId).toBe(recipientSetKeyId([a.recipient, b.recipient]));
    expect(wrapped.blob.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    for (const who of [a, b]) {
      const d = new Decrypter();
      d.addIdentity(who.secret);
      expect(Buffer.from(await d.decrypt(wrapped.blob)).equals(plaintext)).toBe(true);
      const opener = new AgeKeyProvider([], [who]);
      expect(opener.canUnwrap(wrapped)).toBe(true);
      expect((await opener.unwrap(wrapped)).equals(plaintext)).toBe(true);
    }
  });

  it('a write-only keyring seals but never opens, and says so in one line', async () => {
    const a = await identity();
    const keyring = new Keyring([new AgeKeyProvider([a.recipient], [])]);
    expect(keyring.canOpen()).toBe(false);
    const key = await keyring.newDataKey(ctx);
    expect(key.plaintext).toHaveLength(32);
    await expect(keyring.unwrap(key.wrapped, ctx)).rejects.toThrow(/holds no age identity/);
    await expect(new AgeKeyProvider([a.recipient], []).unwrap(key.wrapped[0]!)).rejects.toBeInstanceOf(
      AgeNoIdentityError,
    );
    expect(() => keyring.assertCanOpen('restore')).toThrow(
      /^restore: this host holds no key that can open sealed sets .*--age-identity PATH/,
    );
  });

  it('an identity that is not a recipient names what it tried; an identity alone cannot seal', async () => {
    const a = await identity();
    const stranger = await identity();
    const { wrapped } = await new AgeKeyProvider([a.recipient], []).generateDataKey();
    const opener = new AgeKeyProvider([], [stranger]);
    await expect(opener.unwrap(wrapped)).rejects.toThrow(/is a recipient of this set's age copy/);
    await expect(opener.generateDataKey()).rejects.toThrow(/no recipient to seal for/);
  });
});
