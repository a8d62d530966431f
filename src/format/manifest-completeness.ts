/**
 * What files a set must hold (docs/FORMAT.md section 12): an RDB set is its one `.rdb` file; a DFS set
 * is shards 0..N−1 in order, then its one summary, with N = shardCount. A manifest listing fewer shards
 * would restore a set Dragonfly loads without some of its data, so it is rejected like a forged one.
 */
/** The parts of a manifest (manifest.ts) that say which files a set holds. */
export interface SetListing {
  source: { format: string; stem: string; snapshotId: string | null; shardCount: number | null };
  files: { name: string; role: string }[];
}

export function shardName(stem: string, index: number): string {
  return `${stem}-${String(index).padStart(4, '0')}.dfs`;
}

/** Why the manifest's file list is not a complete set, or undefined when it is. */
export function completenessProblem(m: SetListing): string | undefined {
  const { format, stem, snapshotId, shardCount } = m.source;
  const files = m.files;
  if (format === 'rdb') {
    if (snapshotId !== null || shardCount !== null) return 'an rdb set has no snapshotId or shardCount';
    if (files.length !== 1) return `an rdb set has exactly one file, this one lists ${files.length}`;
    const [f] = files;
    if (f?.role !== 'rdb' || f.name !== `${stem}.rdb`)
      return `the file of an rdb set is ${stem}.rdb, role rdb`;
    return undefined;
  }
  if (typeof snapshotId !== 'string' || snapshotId === '') return 'a dfs set needs its snapshotId';
  if (typeof shardCount !== 'number') return 'a dfs set needs its shardCount';
  if (files.length !== shardCount + 1) {
    return `shardCount is ${shardCount}, so the set has ${shardCount} shards and one summary, but it lists ${files.length} files`;
  }
  for (let i = 0; i < shardCount; i++) {
    const f = files[i];
    if (f?.role !== 'shard' || f.name !== shardName(stem, i)) {
      return `file ${i} must be shard ${shardName(stem, i)} (shards 0..${shardCount - 1} in order, then the summary)`;
    }
  }
  const last = files[shardCount];
  if (last?.role !== 'summary' || last.name !== `${stem}-summary.dfs`) {
    return `the last file must be the summary ${stem}-summary.dfs`;
  }
  return undefined;
}
