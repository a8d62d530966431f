/** The set manifest's JSON: round trip, and strict rejection (always an IntegrityError) of anything else. */
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/errors.js';
import {
  decodeManifest,
  encodeManifest,
  previousOf,
  type Manifest,
  type ManifestV2,
} from '../../../src/format/manifest.js';

const manifest = (): Manifest => ({
  kind: 'snapshot-guard/set-manifest',
  version: 1,
  setId: '20261123T174000.000Z_dump-2026-11-23T17-40-00',
  instance: 'cache-1',
  sealedAt: '2026-11-23T17:40:01.500Z',
  snapshotTime: '2026-11-23T17:40:00.000Z',
  source: { format: 'dfs', stem: 'dump-2026-11-23T17:40:00', snapshotId: 'ab'.repeat(16), shardCount: 1 },
  files: [
    {
      name: 'dump-2026-11-23T17:40:00-0000.dfs',
      role: 'shard',
      size: 10,
      encryptedSize: 300,
      payloadSha256: 'a'.repeat(64),
    },
    {
      name: 'dump-2026-11-23T17:40:00-summary.dfs',
      role: 'summary',
      size: 5,
      encryptedSize: 290,
      payloadSha256: 'b'.repeat(64),
    },
  ],
});

const PREV_LINK = { setId: '20261123T173500.000Z_dump', manifestSha256: 'c'.repeat(64) };

function rejects(json: unknown, message: RegExp): void {
  const bytes = Buffer.isBuffer(json)
    ? json
    : Buffer.from(typeof json === 'string' ? json : JSON.stringify(json));
  let caught: unknown;
  try {
    decodeManifest(bytes, 'test manifest');
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(IntegrityError);
  expect((caught as Error).message).toMatch(message);
}

describe('set manifest', () => {
  it('round-trips as indented JSON with a final newline', () => {
    const bytes = encodeManifest(manifest());
    expect(bytes.toString().endsWith('}\n')).toBe(true);
    expect(bytes.toString()).toContain('\n  "kind": "snapshot-guard/set-manifest",');
    expect(decodeManifest(bytes)).toEqual(manifest());
  });

  it('version 2 round-trips with previous a link or null; version 1 reads as "unknown"', () => {
    const linked: ManifestV2 = { ...manifest(), version: 2, previous: PREV_LINK };
    const first: ManifestV2 = { ...manifest(), version: 2, previous: null };
    expect(decodeManifest(encodeManifest(linked))).toEqual(linked);
    expect(previousOf(decodeManifest(encodeManifest(linked)))).toEqual(PREV_LINK);
    expect(previousOf(decodeManifest(encodeManifest(first)))).toBeNull();
    expect(previousOf(decodeManifest(encodeManifest(manifest())))).toBeUndefined();
  });

  it('accepts any JSON layout (it is authenticated, not canonical)', () => {
    expect(decodeManifest(Buffer.from(JSON.stringify(manifest())))).toEqual(manifest());
  });

  const m = manifest;
  const PREV = { setId: '20261123T173500.000Z_dump', manifestSha256: 'c'.repeat(64) };
  const m2 = (): ManifestV2 => ({ ...m(), version: 2, previous: PREV });
  const withFiles = (files: unknown[]) => ({ ...m(), files });
  const file0 = () => m().files[0]!;
  it.each([
    ['not JSON', '{"kind":', /not JSON/],
    ['an array', [], /not an object/],
    ['null', 'null', /not an object/],
    ['another kind', { ...m(), kind: 'x' }, /wrong kind/],
    ['version 3', { ...m(), version: 3 }, /unsupported manifest version 3/],
    ['version 2 without previous', { ...m(), version: 2 }, /previous missing/],
    ['version 1 with previous', { ...m(), previous: null }, /unknown member "previous"/],
    ['version 2, previous a string', { ...m2(), previous: 'x' }, /previous is neither null nor an object/],
    [
      'version 2, previous without digest',
      { ...m2(), previous: { setId: PREV.setId } },
      /manifestSha256 missing/,
    ],
    [
      'version 2, previous with an extra member',
      { ...m2(), previous: { ...PREV, at: 1 } },
      /previous unknown member "at"/,
    ],
    [
      'version 2, an uppercase previous digest',
      { ...m2(), previous: { ...PREV, manifestSha256: 'C'.repeat(64) } },
      /manifestSha256 is not 64 lowercase hex/,
    ],
    [
      'version 2, previous a path',
      { ...m2(), previous: { ...PREV, setId: '../x' } },
      /previous setId contains/,
    ],
    [
      'version 2, previous itself',
      { ...m2(), previous: { ...PREV, setId: m().setId } },
      /names the set itself/,
    ],
    ['no set id', { ...m(), setId: undefined }, /setId missing/],
    ['a bad source format', { ...m(), source: { ...m().source, format: 'aof' } }, /source/],
    ['no files', withFiles([]), /files/],
    ['a null file entry', withFiles([null]), /file entry is not an object/],
    ['a number as file entry', withFiles([7]), /file entry is not an object/],
    ['a path as file name', withFiles([{ ...file0(), name: '../etc/passwd' }]), /file name/],
    ['".." as file name', withFiles([{ ...file0(), name: '..' }]), /file name/],
    ['a duplicate file', withFiles([file0(), file0()]), /duplicate file/],
    ['an unknown role', withFiles([{ ...file0(), role: 'aof' }]), /role/],
    [
      'a negative size',
      withFiles([{ ...file0(), size: -1 }]),
      /number -1 is not a plain non-negative integer/,
    ],
    ['a fractional size', withFiles([{ ...file0(), encryptedSize: 1.5 }]), /number 1.5 is not a plain/],
    ['a size written as 10.0', JSON.stringify(m()).replace('"size":10,', '"size":10.0,'), /number 10.0/],
    [
      'a size above 2^53 - 1',
      JSON.stringify(m()).replace('"size":10,', '"size":9007199254740992,'),
      /above 2\^53/,
    ],
    [
      'a duplicate member',
      JSON.stringify(m()).replace('"size":10,', '"size":1,"size":10,'),
      /duplicate member "size"/,
    ],
    [
      'invalid UTF-8',
      Buffer.concat([Buffer.from(JSON.stringify(m())), Buffer.from([0xff])]),
      /not valid UTF-8/,
    ],
    ['an unknown member', { ...m(), note: 1 }, /unknown member "note"/],
    ['a missing member', { ...m(), sealedAt: undefined }, /sealedAt missing/],
    ['a control character in a name', withFiles([{ ...file0(), name: 'a\u0085b' }]), /control character/],
    ['a name of 253 bytes', withFiles([{ ...file0(), name: 'é'.repeat(126) + 'x' }]), /253 bytes long/],
    ['a set id that is a path', { ...m(), setId: '../x' }, /setId contains "\/"/],
    ['a time that is not ISO 8601 UTC', { ...m(), sealedAt: 'yesterday' }, /sealedAt is not a time/],
    [
      'a DFS set with a shard missing',
      withFiles([m().files[1]!]),
      /shardCount is 1, so the set has 1 shards and one summary, but it lists 1 files/,
    ],
    [
      'a DFS set with the summary first',
      withFiles([m().files[1]!, m().files[0]!]),
      /must be shard .*-0000\.dfs/,
    ],
    [
      'a DFS set whose shard count is wrong',
      { ...m(), source: { ...m().source, shardCount: 2 } },
      /shardCount is 2/,
    ],
    [
      'an RDB set with two files',
      {
        ...m(),
        source: { format: 'rdb', stem: 'dump', snapshotId: null, shardCount: null },
        files: [
          { ...file0(), name: 'dump.rdb', role: 'rdb' },
          { ...file0(), name: 'x.rdb', role: 'rdb' },
        ],
      },
      /exactly one file/,
    ],
    ['an uppercase digest', withFiles([{ ...file0(), payloadSha256: 'A'.repeat(64) }]), /digest/],
  ])('rejects %s', (_name, json, message) => rejects(json, message));

  it('refuses to write a manifest that no decoder would accept', () => {
    expect(() => encodeManifest({ ...m(), files: [m().files[1]!] })).toThrow(/not a complete set/);
  });

  it('rejects deep nesting without exhausting the stack', () => {
    rejects('['.repeat(500_000), /nested too deeply/);
  });

  it('rejects more than 1 MiB before parsing it', () => {
    rejects(' '.repeat(1024 * 1024 + 1), /too large/);
  });
});
