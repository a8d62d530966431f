/**
 * `restore --if-empty`: is there already a snapshot in Dragonfly's directory that it can load? A file
 * name is not enough (a 0-byte dump.rdb would be "a snapshot" and the server would then fail to load
 * it): the file Dragonfly would pick — the newest `.rdb` or `-summary.dfs` by modification time — must
 * start with an RDB header, end with the RDB end marker, and for DFS have every shard of its set.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isIgnoredName, scanDirectory } from '../snapshots/scan.js';

/** "REDIS" + 4-digit version, then at least the EOF opcode 0xFF and its 8 checksum bytes. */
const RDB_MAGIC = /^REDIS\d{4}$/;
const SMALLEST_SNAPSHOT = 9 + 1 + 8;
const EOF_OPCODE = 0xff;

export type ExistingSnapshot =
  { kind: 'none' } | { kind: 'complete'; name: string } | { kind: 'incomplete'; name: string; why: string };

/** Why `path` is not a whole RDB/DFS file, or undefined when its head and tail look right. */
async function fileProblem(path: string): Promise<string | undefined> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const { size } = await fh.stat();
    if (size < SMALLEST_SNAPSHOT) return `${size} bytes, shorter than any snapshot`;
    const head = Buffer.alloc(9);
    await fh.read(head, 0, 9, 0);
    if (!RDB_MAGIC.test(head.toString('latin1'))) return 'it does not start with an RDB header';
    const tail = Buffer.alloc(1);
    await fh.read(tail, 0, 1, size - 9);
    if (tail[0] !== EOF_OPCODE) return 'it does not end with the RDB end marker (cut short?)';
    return undefined;
  } finally {
    await fh.close();
  }
}

/** The file Dragonfly (or Redis) would load: the newest .rdb or -summary.dfs by modification time. */
async function newestLoadable(dir: string): Promise<string | undefined> {
  let newest: { name: string; mtimeMs: number } | undefined;
  for (const name of await readdir(dir)) {
    if (isIgnoredName(name) || !(name.endsWith('.rdb') || name.endsWith('-summary.dfs'))) continue;
    const st = await lstat(join(dir, name)).catch(() => undefined);
    if (!st?.isFile()) continue;
    if (!newest || st.mtimeMs > newest.mtimeMs) newest = { name, mtimeMs: st.mtimeMs };
  }
  return newest?.name;
}

export async function existingSnapshot(dir: string): Promise<ExistingSnapshot> {
  const name = await newestLoadable(dir);
  if (name === undefined) return { kind: 'none' };
  const scan = await scanDirectory(dir);
  const set = scan.sets.find((s) => s.files.some((f) => f.name === name));
  if (!set) {
    const problem = scan.problems.find((p) => p.name === name)?.problem ?? 'its set is not complete';
    return { kind: 'incomplete', name, why: problem };
  }
  for (const f of set.files) {
    const why = await fileProblem(f.path);
    if (why) return { kind: 'incomplete', name, why: `${f.name}: ${why}` };
  }
  return { kind: 'complete', name };
}
