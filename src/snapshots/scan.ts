/**
 * Turns a listing of Dragonfly's --dir into finished snapshot sets (Dragonfly writes NAME.tmp, then renames;
 * a DFS set is complete once its summary file appears under its final name: docs/ARCHITECTURE.md).
 * Only final names count: `NAME.rdb`, and DFS sets whose `-summary.dfs` has appeared with every shard
 * 0..shard-count-1 present and carrying the same snapshot-id. Everything else is ignored or reported.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../errors.js';
import type { FileRole, SnapshotFormat } from '../format/manifest.js';
import { RdbParseError, parseRdbPrologue } from './rdb-aux.js';

export interface SnapshotFile {
  name: string;
  path: string;
  role: FileRole;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface SnapshotSet {
  format: SnapshotFormat;
  /** Common prefix: "dump-2026-11-23T17:40:00" for DFS, "dump" for dump.rdb. */
  stem: string;
  /** In restore order: shards by id, then the summary; or the single .rdb file. */
  files: SnapshotFile[];
  /** mtime of the file that completed the set (summary or .rdb). */
  snapshotTimeMs: number;
  snapshotId: string | null;
  shardCount: number | null;
}

export interface ScanProblem {
  name: string;
  problem: string;
}

export interface OrphanShard {
  file: SnapshotFile;
  stem: string;
  snapshotId: string | null;
}

export interface ScanResult {
  sets: SnapshotSet[];
  /** DFS shards whose summary is not there (yet: Dragonfly renames the summary last). */
  orphanShards: OrphanShard[];
  problems: ScanProblem[];
}

const DFS_NAME = /^(.+)-(summary|\d{4})\.dfs$/;
const REDIS_TEMP = /^temp-\d+\.rdb$/;
const HEAD_BYTES = 4096;

/** Names that are never snapshots: hidden files (ours included), temporaries, Redis' temp-<pid>.rdb. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.tmp') || REDIS_TEMP.test(name) || name.includes('.sg-tmp-');
}

function isCandidate(name: string): boolean {
  return !isIgnoredName(name) && (name.endsWith('.rdb') || DFS_NAME.test(name));
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Aux fields of a DFS file; undefined when it is unreadable (gone, not ours to read, not a DFS file). */
async function auxOf(path: string): Promise<Map<string, string> | undefined> {
  try {
    return parseRdbPrologue(await readHead(path)).aux;
  } catch (err) {
    const code = errnoCode(err);
    if (err instanceof RdbParseError || code === 'ENOENT' || code === 'EACCES' || code === 'EPERM')
      return undefined;
    throw err;
  }
}

export async function scanDirectory(dir: string): Promise<ScanResult> {
  const problems: ScanProblem[] = [];
  const files = new Map<string, SnapshotFile>();
  for (const name of await readdir(dir)) {
    if (!isCandidate(name)) continue;
    const path = join(dir, name);
    let st;
    try {
      st = await lstat(path, { bigint: false });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue; // renamed or removed since readdir
      throw err;
    }
    if (st.isSymbolicLink()) {
      problems.push({ name, problem: 'is a symbolic link; ignored (snapshot-guard never follows links)' });
      continue;
    }
    if (!st.isFile()) {
      problems.push({ name, problem: 'is not a regular file; ignored' });
      continue;
    }
    if (st.nlink > 1) {
      problems.push({
        name,
        problem: `has ${st.nlink} hard links; ignored (shredding it would destroy another file)`,
      });
      continue;
    }
    const role: FileRole = name.endsWith('.rdb')
      ? 'rdb'
      : name.endsWith('-summary.dfs')
        ? 'summary'
        : 'shard';
    files.set(name, { name, path, role, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
  }

  const sets: SnapshotSet[] = [];
  const orphanShards: OrphanShard[] = [];
  const usedShards = new Set<string>();
  for (const f of files.values()) {
    if (f.role === 'rdb') {
      sets.push({
        format: 'rdb',
        stem: f.name.slice(0, -'.rdb'.length),
        files: [f],
        snapshotTimeMs: f.mtimeMs,
        snapshotId: null,
        shardCount: null,
      });
    } else if (f.role === 'summary') {
      const set = await dfsSet(f, files, problems);
      if (set) {
        sets.push(set);
        for (const s of set.files) usedShards.add(s.name);
      }
    }
  }
  for (const f of files.values()) {
    if (f.role !== 'shard' || usedShards.has(f.name)) continue;
    const stem = DFS_NAME.exec(f.name)?.[1] ?? '';
    if (files.has(`${stem}-summary.dfs`)) continue; // part of an inconsistent set, reported there
    orphanShards.push({ file: f, stem, snapshotId: (await auxOf(f.path))?.get('snapshot-id') ?? null });
  }
  sets.sort((a, b) => a.snapshotTimeMs - b.snapshotTimeMs || a.stem.localeCompare(b.stem));
  return { sets, orphanShards, problems };
}

async function dfsSet(
  summary: SnapshotFile,
  files: Map<string, SnapshotFile>,
  problems: ScanProblem[],
): Promise<SnapshotSet | undefined> {
  const stem = summary.name.slice(0, -'-summary.dfs'.length);
  const report = (problem: string): undefined => {
    problems.push({ name: summary.name, problem });
    return undefined;
  };
  const aux = await auxOf(summary.path);
  if (!aux) return report('summary file is not a readable DFS file (or permission denied); set not sealed');
  const snapshotId = aux.get('snapshot-id');
  const shardCount = Number(aux.get('shard-count'));
  if (!snapshotId) return report('summary file has no snapshot-id; set not sealed');
  if (!Number.isInteger(shardCount) || shardCount < 0 || shardCount > 9999) {
    return report('summary file has no valid shard-count; set not sealed');
  }
  const shards: SnapshotFile[] = [];
  for (let i = 0; i < shardCount; i++) {
    const name = `${stem}-${String(i).padStart(4, '0')}.dfs`;
    const shard = files.get(name);
    if (!shard) return report(`shard ${name} of ${shardCount} is missing; set not sealed`);
    const shardAux = await auxOf(shard.path);
    if (shardAux?.get('snapshot-id') !== snapshotId) {
      return report(`shard ${name} belongs to another snapshot (snapshot-id differs); set not sealed`);
    }
    const shardId = shardAux.get('shard-id');
    if (shardId !== undefined && Number(shardId) !== i) {
      return report(`shard ${name} says shard-id ${shardId}; set not sealed`);
    }
    shards.push(shard);
  }
  return {
    format: 'dfs',
    stem,
    files: [...shards, summary],
    snapshotTimeMs: summary.mtimeMs,
    snapshotId,
    shardCount,
  };
}
