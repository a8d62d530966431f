import { describe, expect, it } from 'vitest';
import { lzfDecompress, parseRdbPrologue, RdbParseError } from '../../../src/snapshots/rdb-aux.js';
import { dfsFileBytes, rdbInt, rdbLength, rdbLzfString, rdbString } from '../../helpers/dfs-writer.js';

const aux = (k: string, v: Buffer) => Buffer.concat([Buffer.from([0xfa]), rdbString(k), v]);

describe('RDB/DFS prologue parser', () => {
  it("reads Dragonfly's aux fields: snapshot-id first, integer encodings for shard-count/shard-id", () => {
    const id = 'ab'.repeat(16);
    const summary = parseRdbPrologue(dfsFileBytes({ snapshotId: id, shardCount: 8, bodyBytes: 100 }));
    expect(summary.rdbVersion).toBe(12);
    expect([...summary.aux.keys()][0]).toBe('snapshot-id');
    expect(summary.aux.get('snapshot-id')).toBe(id);
    expect(summary.aux.get('shard-count')).toBe('8');
    const shard = parseRdbPrologue(dfsFileBytes({ snapshotId: id, shardId: 3, bodyBytes: 100 }));
    expect(shard.aux.get('shard-id')).toBe('3');
  });

  it.each([
    [5, rdbInt(5)],
    [-2, rdbInt(-2)],
    [300, rdbInt(300)],
    [70000, rdbInt(70000)],
  ])('decodes integer-encoded value %i (0xC0/0xC1/0xC2, little-endian)', (n, enc) => {
    const head = Buffer.concat([Buffer.from('REDIS0012'), aux('shard-count', enc), Buffer.from([0xff])]);
    expect(parseRdbPrologue(head).aux.get('shard-count')).toBe(String(n));
  });

  it('decodes LZF-compressed strings (0xC3), literal runs and back references', () => {
    const id = '0123456789abcdef0123456789abcdef';
    const head = Buffer.concat([
      Buffer.from('REDIS0012'),
      aux('snapshot-id', rdbLzfString(id)),
      Buffer.from([0xff]),
    ]);
    expect(parseRdbPrologue(head).aux.get('snapshot-id')).toBe(id);
    // "abcabcabc": literal "abc" (ctrl 2), then a back reference of length 6 at distance 3.
    const comp = Buffer.from([0x02, 0x61, 0x62, 0x63, (4 << 5) | 0, 0x02]);
    expect(lzfDecompress(comp, 9).toString()).toBe('abcabcabc');
    expect(() => lzfDecompress(Buffer.from([0x05, 0x61]), 6)).toThrow(RdbParseError);
  });

  it('uses the 14-bit and 32-bit length forms', () => {
    const long = 'x'.repeat(300);
    expect(rdbLength(300)[0]! >> 6).toBe(1);
    const head = Buffer.concat([Buffer.from('REDIS0012'), aux('long', rdbString(long)), Buffer.from([0xff])]);
    expect(parseRdbPrologue(head).aux.get('long')).toBe(long);
  });

  it('rejects files without the REDIS magic, and keeps the leading fields when a later one is cut off', () => {
    expect(() => parseRdbPrologue(Buffer.from('NOTREDIS0012'))).toThrow(RdbParseError);
    const head = Buffer.concat([
      Buffer.from('REDIS0012'),
      aux('snapshot-id', rdbString('id1')),
      Buffer.from([0xfa, 0x40]),
    ]);
    expect(parseRdbPrologue(head).aux.get('snapshot-id')).toBe('id1');
  });
});
