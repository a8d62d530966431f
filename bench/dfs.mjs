/**
 * Writes a DFS snapshot set the way Dragonfly does (docs/ARCHITECTURE.md, "How Dragonfly writes snapshots"): every file first as
 * NAME.dfs.tmp, then renamed — shard files first, the summary last. Files start with "REDIS0012" and
 * aux fields (snapshot-id first; shard-id / shard-count as RDB 0xC0 integers), and end with the EOF
 * opcode 0xFF and eight zero checksum bytes.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

const CHUNK = 16 * 1024 * 1024;

function rdbString(s) {
  const b = Buffer.from(s, 'latin1');
  if (b.length >= 64) throw new Error('bench writes short aux strings only');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/** RDB integer-as-string encoding, 8-bit form (shard ids and counts here are below 128). */
const rdbInt8 = (n) => Buffer.from([0xc0, n]);

const aux = (key, value) => Buffer.concat([Buffer.from([0xfa]), rdbString(key), value]);

function header(snapshotId, field) {
  return Buffer.concat([
    Buffer.from('REDIS0012', 'latin1'),
    aux('snapshot-id', rdbString(snapshotId)),
    field,
    aux('redis-ver', rdbString('7.4.0')),
    Buffer.from([0xfe, 0x00]), // SELECTDB 0: the records start here, so no random byte looks like aux
  ]);
}

const TRAILER = Buffer.concat([Buffer.from([0xff]), Buffer.alloc(8)]);

/** Writes header, `bodyBytes` of random records stand-in, trailer, to NAME.tmp. */
async function writeTmp(path, head, bodyBytes) {
  const keystream = createCipheriv('aes-256-ctr', randomBytes(32), randomBytes(16));
  const zeros = Buffer.alloc(CHUNK);
  const fh = await open(path, 'wx', 0o644); // Dragonfly: 0666 minus the usual umask
  try {
    await fh.write(head);
    for (let done = 0; done < bodyBytes; done += CHUNK) {
      await fh.write(keystream.update(zeros.subarray(0, Math.min(CHUNK, bodyBytes - done))));
    }
    await fh.write(TRAILER);
  } finally {
    await fh.close();
  }
}

/** Dragonfly's default dbfilename stem, with its colons: dump-2026-11-23T17:40:00. */
export function stemFor(date) {
  return `dump-${date.toISOString().slice(0, 19)}`;
}

/** Writes all .dfs.tmp files of one set; returns the final names, shards first, summary last. */
export async function writeTmpSet(dir, stem, shards, bytesPerShard) {
  const snapshotId = randomBytes(16).toString('hex');
  const names = [];
  for (let i = 0; i < shards; i++) {
    const name = `${stem}-${String(i).padStart(4, '0')}.dfs`;
    await writeTmp(join(dir, `${name}.tmp`), header(snapshotId, aux('shard-id', rdbInt8(i))), bytesPerShard);
    names.push(name);
  }
  const summary = `${stem}-summary.dfs`;
  await writeTmp(join(dir, `${summary}.tmp`), header(snapshotId, aux('shard-count', rdbInt8(shards))), 64);
  names.push(summary);
  return names;
}

/** Renames NAME.tmp → NAME in order (summary last); returns the moment the summary appeared. */
export async function publishSet(dir, names) {
  for (const name of names) await rename(join(dir, `${name}.tmp`), join(dir, name));
  return performance.now();
}

/** Writes one RDB file (Redis, or Dragonfly with --nodf_snapshot_format) as NAME.rdb.tmp; returns [NAME.rdb]. */
export async function writeTmpRdb(dir, stem, bytes) {
  const name = `${stem}.rdb`;
  const head = Buffer.concat([
    Buffer.from('REDIS0012', 'latin1'),
    aux('redis-ver', rdbString('7.4.0')),
    Buffer.from([0xfe, 0x00]),
  ]);
  await writeTmp(join(dir, `${name}.tmp`), head, bytes);
  return [name];
}
