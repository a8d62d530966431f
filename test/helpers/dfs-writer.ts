/**
 * A faithful stand-in for Dragonfly's snapshot writer (docs/ARCHITECTURE.md, "How Dragonfly writes snapshots"): each file is written as
 * NAME.dfs.tmp in chunks and renamed to NAME.dfs, shards first and the summary last; files start with
 * "REDIS0012" and aux fields (snapshot-id first; shard-id / shard-count in RDB integer encodings),
 * and end with the EOF opcode and the eight zero checksum bytes Dragonfly writes.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DfsWriteOptions {
  dir: string;
  /** e.g. "dump-2026-11-23T17:40:00" (Dragonfly's {timestamp} contains colons). */
  stem: string;
  shards: number;
  bytesPerShard: number;
  snapshotId?: string;
  chunkSize?: number;
  /** Pause between chunks, to let a watcher see the .tmp files being written. */
  delayMs?: number;
  /** Simulate a failed save: write the .tmp files, then delete them instead of renaming. */
  abort?: boolean;
  /** Store the snapshot-id LZF-compressed (0xC3), as Redis-style writers may for strings over 20 bytes. */
  compressSnapshotId?: boolean;
  /** File mode (Dragonfly uses 0666 minus umask). */
  mode?: number;
}

export interface DfsWriteResult {
  snapshotId: string;
  /** Final paths, in the order they were renamed (shards, then summary). */
  files: string[];
  /** Exact bytes of each file, by name. */
  contents: Map<string, Buffer>;
}

/** RDB integer string encoding: 0xC0 int8, 0xC1 int16 LE, 0xC2 int32 LE. */
export function rdbInt(n: number): Buffer {
  if (n >= -128 && n <= 127) return Buffer.from([0xc0, n & 0xff]);
  if (n >= -32768 && n <= 32767) {
    const b = Buffer.alloc(3);
    b[0] = 0xc1;
    b.writeInt16LE(n, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = 0xc2;
  b.writeInt32LE(n, 1);
  return b;
}

/** RDB length prefix (6-bit, 14-bit or 32-bit forms). */
export function rdbLength(n: number): Buffer {
  if (n < 64) return Buffer.from([n]);
  if (n < 16384) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0x80;
  b.writeUInt32BE(n, 1);
  return b;
}

export function rdbString(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  return Buffer.concat([rdbLength(b.length), b]);
}

/** LZF "compression" using literal runs only: valid LZF input for any decoder. */
export function rdbLzfString(s: string): Buffer {
  const raw = Buffer.from(s, 'latin1');
  const parts: Buffer[] = [];
  for (let i = 0; i < raw.length; i += 32) {
    const run = raw.subarray(i, i + 32);
    parts.push(Buffer.from([run.length - 1]), run);
  }
  const comp = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0xc3]), rdbLength(comp.length), rdbLength(raw.length), comp]);
}

function aux(key: string, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xfa]), rdbString(key), value]);
}

export function dfsFileBytes(opts: {
  snapshotId: string;
  shardId?: number;
  shardCount?: number;
  bodyBytes: number;
  compressSnapshotId?: boolean;
}): Buffer {
  const id = opts.compressSnapshotId ? rdbLzfString(opts.snapshotId) : rdbString(opts.snapshotId);
  const fields = [aux('snapshot-id', id)];
  if (opts.shardCount !== undefined) fields.push(aux('shard-count', rdbInt(opts.shardCount)));
  if (opts.shardId !== undefined) fields.push(aux('shard-id', rdbInt(opts.shardId)));
  fields.push(aux('redis-ver', rdbString('7.4.0')), aux('ctime', rdbInt(Math.floor(Date.now() / 1000))));
  return Buffer.concat([
    Buffer.from('REDIS0012', 'latin1'),
    ...fields,
    Buffer.from([0xfe, 0x00]), // SELECTDB 0: what follows the aux fields in a real file
    randomBytes(opts.bodyBytes), // stands in for the key/value records
    Buffer.from([0xff]),
    Buffer.alloc(8), // Dragonfly writes a zero checksum
  ]);
}

async function writeInChunks(path: string, data: Buffer, chunk: number, delayMs: number, mode: number) {
  const fh = await open(path, 'w', mode);
  try {
    for (let pos = 0; pos < data.length; pos += chunk) {
      await fh.write(data, pos, Math.min(chunk, data.length - pos));
      if (delayMs > 0) await sleep(delayMs);
    }
  } finally {
    await fh.close();
  }
}

export async function writeDfsSet(o: DfsWriteOptions): Promise<DfsWriteResult> {
  const snapshotId = o.snapshotId ?? randomBytes(16).toString('hex');
  const chunk = o.chunkSize ?? 256 * 1024;
  const mode = o.mode ?? 0o644;
  const contents = new Map<string, Buffer>();
  const names: string[] = [];
  for (let i = 0; i < o.shards; i++) {
    const name = `${o.stem}-${String(i).padStart(4, '0')}.dfs`;
    contents.set(
      name,
      dfsFileBytes({
        snapshotId,
        shardId: i,
        bodyBytes: o.bytesPerShard,
        compressSnapshotId: o.compressSnapshotId,
      }),
    );
    names.push(name);
  }
  const summary = `${o.stem}-summary.dfs`;
  contents.set(
    summary,
    dfsFileBytes({
      snapshotId,
      shardCount: o.shards,
      bodyBytes: 64,
      compressSnapshotId: o.compressSnapshotId,
    }),
  );
  names.push(summary);

  // Shards are written concurrently by Dragonfly; sequentially here is enough for the lifecycle.
  for (const name of names) {
    await writeInChunks(
      join(o.dir, `${name}.tmp`),
      contents.get(name) as Buffer,
      chunk,
      o.delayMs ?? 0,
      mode,
    );
  }
  if (o.abort) {
    for (const name of names) await unlink(join(o.dir, `${name}.tmp`));
    return { snapshotId, files: [], contents: new Map() };
  }
  for (const name of names) await rename(join(o.dir, `${name}.tmp`), join(o.dir, name));
  return { snapshotId, files: names.map((n) => join(o.dir, n)), contents };
}

/** Dragonfly's RDB lifecycle: NAME.tmp written, then renamed to NAME. */
export async function writeRdbFile(dir: string, name: string, bodyBytes: number): Promise<Buffer> {
  const data = Buffer.concat([
    Buffer.from('REDIS0011', 'latin1'),
    randomBytes(bodyBytes),
    Buffer.from([0xff]),
    Buffer.alloc(8),
  ]);
  await writeInChunks(join(dir, `${name}.tmp`), data, 256 * 1024, 0, 0o644);
  await rename(join(dir, `${name}.tmp`), join(dir, name));
  return data;
}
