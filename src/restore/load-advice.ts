/**
 * How to start the server so that it loads what restore put back. Dragonfly (docs/ARCHITECTURE.md,
 * "How Dragonfly loads on start") first looks for a file named exactly --dbfilename; otherwise it turns
 * {timestamp} into "*", appends "*" when the name has no extension, and loads the newest matching file
 * ending in .rdb or summary.dfs (newest by modification time), plus "<stem>-????.dfs" for a summary.
 * Redis loads exactly --dbfilename (default dump.rdb).
 */
import type { Manifest } from '../format/manifest.js';

const TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/;
const DEFAULT_DFS_STEM = new RegExp(`^dump-${TIMESTAMP.source}$`);

function quoted(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function loadAdvice(manifest: Manifest, targetDir: string): string[] {
  const stem = manifest.source.stem;
  const dir = quoted(targetDir);
  if (manifest.source.format === 'dfs') {
    if (DEFAULT_DFS_STEM.test(stem)) {
      return [
        `Dragonfly started with --dir ${dir} and its default --dbfilename (dump-{timestamp}) loads this set: it is the newest summary file there.`,
      ];
    }
    if (TIMESTAMP.test(stem)) {
      const pattern = stem.replace(TIMESTAMP, '{timestamp}');
      return [
        `Start Dragonfly with --dir ${dir} --dbfilename ${quoted(pattern)} (the pattern these files were written under; it loads the newest summary file, this one),`,
        `or with --dbfilename ${quoted(stem)} to load exactly this set. The default (dump-{timestamp}) would not find it.`,
      ];
    }
    return [
      `Start Dragonfly with --dir ${dir} --dbfilename ${quoted(stem)}: the files are ${stem}-NNNN.dfs and ${stem}-summary.dfs, which the default --dbfilename (dump-{timestamp}) would not find.`,
    ];
  }
  const name = manifest.files[0]?.name ?? `${stem}.rdb`;
  const lines = [
    name === 'dump.rdb'
      ? `Redis/Valkey started with --dir ${dir} loads it (default dbfilename dump.rdb).`
      : `Redis/Valkey: start with --dir ${dir} --dbfilename ${quoted(name)}.`,
  ];
  lines.push(
    new RegExp(`^dump-${TIMESTAMP.source}\\.rdb$`).test(name)
      ? `Dragonfly started with --dir ${dir} and its default --dbfilename loads it: it is the newest .rdb file there.`
      : `Dragonfly: start with --dir ${dir} --dbfilename ${quoted(name)} --nodf_snapshot_format (an exact name match is loaded first).`,
  );
  return lines;
}
