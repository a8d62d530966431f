/**
 * The checked-in known-answer vectors (test/vectors/*.json) against the TypeScript implementation:
 * src/ must rebuild every file byte for byte, re-encrypt each positive vector from its JSON inputs
 * alone to exactly its ciphertext, decrypt it, and reject each negative vector at the stated stage.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encryptFile } from '../../../src/format/file.js';
import {
  associatedDataOf,
  decodeHeader,
  headerMacKey,
  replaceWrappedKeys,
} from '../../../src/format/header.js';
import { decodeManifest, encodeManifest } from '../../../src/format/manifest.js';
import { deriveFileKey } from '../../../src/format/payload.js';
import {
  LocalKeyProvider,
  encodeKeyFile,
  loadKeyFile,
  localWrapAad,
} from '../../../src/keys/local/provider.js';
import { buildVectors, vectorFileText, type Vector } from '../../vectors/build.js';
import { PROJECT_ROOT } from '../../helpers/cli.js';
import { StageError, chunksOf, collect, decodeFile, keysOfFiles } from '../../helpers/format.js';

const DIR = join(PROJECT_ROOT, 'test', 'vectors');
const names = readdirSync(DIR).filter((n) => n.endsWith('.json'));
const vectors = names.map((n) => JSON.parse(readFileSync(join(DIR, n), 'utf8')) as Vector);
const positives = vectors.filter((v) => v.expect === 'plaintext');
const negatives = vectors.filter((v) => v.expect === 'error');
const hex = (s: string) => Buffer.from(s, 'hex');

describe('test vectors', () => {
  it('cover what docs/FORMAT.md promises', () => {
    expect(positives.map((v) => v.name).sort()).toEqual(
      [
        'empty',
        'exact-multiple',
        'first-segment-exact',
        'first-segment-plus-one',
        'manifest',
        'minimum-segment-size',
        'multi-segment',
        'one-byte',
        'rewrapped',
        'accept-key-file-with-blanks-and-crlf',
        'accept-manifest-dfs',
        'accept-manifest-name-252-bytes',
        'accept-manifest-v2',
        'accept-manifest-v2-first-of-chain',
      ].sort(),
    );
    expect(negatives.length).toBeGreaterThanOrEqual(30);
    for (const v of vectors) expect(`${v.name}.json`).toBe(names[vectors.indexOf(v)]);
  });

  it('are exactly what src/ generates (no silent drift)', async () => {
    const built = await buildVectors({
      createHash,
      createHmac,
      encryptFile,
      associatedDataOf,
      headerMacKey,
      decodeHeader,
      replaceWrappedKeys,
      deriveFileKey,
      encodeManifest,
      LocalKeyProvider,
      localWrapAad,
      encodeKeyFile,
    });
    expect(built.map((v) => `${v.name}.json`).sort()).toEqual([...names].sort());
    for (const v of built) {
      expect(readFileSync(join(DIR, `${v.name}.json`), 'utf8'), v.name).toBe(vectorFileText(v));
    }
  });

  it.each(positives.map((v) => [v.name, v] as const))(
    '%s: re-encrypts from its JSON inputs to exactly its ciphertext',
    async (_name, v) => {
      const kek = hex(v.local_kek);
      const dataKey = hex(v.data_key);
      const ctx = { instance: v.context.instance, setId: v.context.set_id };
      const local = await LocalKeyProvider.fromKey(kek).wrap(dataKey, ctx, hex(v.wrap_nonce));
      const wrappedKeys = v.wrapped_keys.map((k) =>
        k.provider === 'local' ? local : { provider: k.provider, keyId: k.key_id, blob: hex(k.blob) },
      );
      expect(wrappedKeys.map((k) => k.blob.toString('hex'))).toEqual(v.wrapped_keys.map((k) => k.blob));
      const header = {
        version: 1,
        segmentSize: v.segment_size,
        context: {
          instance: v.context.instance,
          setId: v.context.set_id,
          fileName: v.context.file_name,
          createdAtMs: v.context.created_at_ms,
        },
        wrappedKeys,
      };
      const randomness = { salt: hex(v.salt), noncePrefix: hex(v.nonce_prefix) };
      // Fed in small pieces: the output must not depend on how the plaintext arrives.
      const file = await collect(encryptFile(chunksOf(hex(v.plaintext), 13), header, dataKey, randomness));
      expect(file.toString('hex')).toBe(v.ciphertext);
      const ad = associatedDataOf(header);
      expect(ad.toString('hex')).toBe(v.derived.associated_data);
      expect(deriveFileKey(dataKey, hex(v.salt), ad).toString('hex')).toBe(v.derived.file_key);
      expect(headerMacKey(dataKey).toString('hex')).toBe(v.derived.header_mac_key);
      expect(localWrapAad(ctx).toString('hex')).toBe(v.derived.local_wrap_aad);
    },
  );

  it.each(positives.map((v) => [v.name, v] as const))('%s: decrypts to its plaintext', async (_name, v) => {
    const keys = await keysOfFiles([v.key_file, ...(v.more_key_files ?? [])]);
    expect(keys[0]?.toString('hex')).toBe(v.local_kek);
    const { header, plaintext } = await decodeFile(hex(v.ciphertext), keys);
    expect(plaintext.toString('hex')).toBe(v.plaintext);
    expect(header.raw.length).toBe(v.derived.header_length);
    expect(header.context).toEqual({
      instance: v.context.instance,
      setId: v.context.set_id,
      fileName: v.context.file_name,
      createdAtMs: v.context.created_at_ms,
    });
    if (v.context.file_name === '') {
      const m = decodeManifest(plaintext);
      expect(m.setId).toBe(header.context.setId);
      expect(m.instance).toBe(header.context.instance);
    }
  });

  it.each(negatives.map((v) => [v.name, v] as const))('%s: is rejected at its stage', async (_name, v) => {
    const decode = async () =>
      decodeFile(hex(v.ciphertext), await keysOfFiles([v.key_file, ...(v.more_key_files ?? [])]));
    const err = await decode().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, `${v.name} must fail: ${v.error}`).toBeInstanceOf(StageError);
    expect((err as StageError).stage).toBe(v.error_stage);
  });

  it('rewrapped keeps every payload byte of multi-segment', () => {
    const a = vectors.find((v) => v.name === 'multi-segment');
    const b = vectors.find((v) => v.name === 'rewrapped');
    if (!a || !b) throw new Error('vectors missing');
    const payloadOf = (v: Vector) => hex(v.ciphertext).subarray(hex(v.ciphertext).readUInt32BE(10));
    expect(payloadOf(b).equals(payloadOf(a))).toBe(true);
    expect(b.ciphertext).not.toBe(a.ciphertext);
  });

  it('docs/FORMAT.md section 15 dumps vector one-byte exactly', () => {
    const doc = readFileSync(join(PROJECT_ROOT, 'docs', 'FORMAT.md'), 'utf8');
    const section = doc.split('## 15. Worked example')[1]?.split('## 16.')[0] ?? '';
    const [dump, intermediate] = section.split('Intermediate values');
    const hexIn = (cell: string | undefined) =>
      [...(cell ?? '').matchAll(/`([0-9a-f]+)`/g)].map((m) => m[1]).join('');
    const rows = (dump ?? '').split('\n').filter((l) => /^\| \d+ \| \d+ \|/.test(l));
    const v = vectors.find((x) => x.name === 'one-byte');
    if (!v) throw new Error('vector one-byte missing');
    expect(rows.map((l) => hexIn(l.split('|')[4])).join('')).toBe(v.ciphertext);
    const value = (label: string) =>
      hexIn(
        (intermediate ?? '')
          .split('\n')
          .find((l) => l.startsWith(`| ${label}`))
          ?.split('|')[2],
      );
    expect(value('local wrap aad')).toBe(v.derived.local_wrap_aad);
    expect(value('AD =')).toBe(v.derived.associated_data);
    expect(value('MK =')).toBe(v.derived.header_mac_key);
    expect(value('FK =')).toBe(v.derived.file_key);
  });

  it('key files of the vectors load with the real loader', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-vec-'));
    try {
      for (const v of vectors) {
        const path = join(dir, `${v.name}.key`);
        writeFileSync(path, v.key_file, { mode: 0o600 });
        if (v.error_stage === 'key-file') {
          await expect(loadKeyFile(path), v.name).rejects.toThrow(/is malformed/);
          continue;
        }
        const kek = await loadKeyFile(path);
        expect(kek.toString('hex')).toBe(v.local_kek);
        expect(LocalKeyProvider.fromKey(kek).keyId).toBe(v.local_key_id);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
