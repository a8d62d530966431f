/**
 * The last step of a restore: moving authenticated temporary files to their final names in Dragonfly's
 * directory, shards first and the summary last (the order Dragonfly itself uses, so a watcher never
 * sees a summary without its shards). Files being replaced (--force) are first moved aside to hidden
 * names, so that a failure half-way can put everything back exactly as it was.
 */
import { readdir, lstat, link, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError, errnoCode } from '../errors.js';
import type { Manifest } from '../format/manifest.js';
import { fsyncDir, removeIfExists, tempPathFor } from '../io/durable.js';
import { isIgnoredName } from '../snapshots/scan.js';

/** Test-only fault injection (like io/crash-points.ts): fail after the first rename. */
const failAt = process.env.SNAPSHOT_GUARD_TEST_FAIL_AT;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Names in `targetDir` that the restore would replace, or that Dragonfly would load together with the
 * restored summary: it loads every file matching "<stem>-????.dfs", so a stale shard of an older,
 * bigger set under the same stem would be mixed into the restored data.
 */
export async function findConflicts(targetDir: string, manifest: Manifest): Promise<string[]> {
  const names = new Set(manifest.files.map((f) => f.name));
  const sameStem =
    manifest.source.format === 'dfs'
      ? new RegExp(`^${escapeRegExp(manifest.source.stem)}-.{4}\\.dfs$`, 'u')
      : undefined;
  const summary = `${manifest.source.stem}-summary.dfs`;
  return (await readdir(targetDir))
    .filter((n) => names.has(n) || n === summary || (sameStem?.test(n) ?? false))
    .sort();
}

/** Latest modification time (ms) among the snapshot files already in `targetDir`, or 0. */
export async function newestSnapshotMtime(targetDir: string): Promise<number> {
  let newest = 0;
  for (const name of await readdir(targetDir)) {
    if (isIgnoredName(name) || !(name.endsWith('.rdb') || name.endsWith('.dfs'))) continue;
    const st = await lstat(join(targetDir, name)).catch(() => undefined);
    if (st) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

/**
 * Modification times (whole seconds, since Dragonfly compares time_t) that make the restored set the
 * one Dragonfly loads: it picks the newest file ending in .rdb or summary.dfs. The summary (or .rdb)
 * gets a second strictly after every snapshot file already there; shards one second earlier.
 */
export function restoredTimes(
  manifest: Manifest,
  nowMs: number,
  newestExistingMs: number,
): Map<string, number> {
  const last = Math.max(Math.floor(nowMs / 1000), Math.floor(newestExistingMs / 1000) + 1);
  const times = new Map<string, number>();
  for (const f of manifest.files) times.set(f.name, f.role === 'shard' ? last - 1 : last);
  return times;
}

export interface Staged {
  name: string;
  tmp: string;
}

type Step = { kind: 'aside'; final: string; backup: string } | { kind: 'placed'; final: string; tmp: string };

export class Placement {
  private readonly steps: Step[] = [];

  constructor(
    private readonly targetDir: string,
    private readonly files: Staged[],
    private readonly replace: string[],
    private readonly force: boolean,
  ) {}

  /** Moves every file into place, in the given order; throws after undoing nothing (call undo()). */
  async run(): Promise<void> {
    for (const name of this.replace) {
      const final = join(this.targetDir, name);
      const backup = tempPathFor(final);
      await rename(final, backup);
      this.steps.push({ kind: 'aside', final, backup });
    }
    for (const [i, f] of this.files.entries()) {
      const final = join(this.targetDir, f.name);
      if (i === this.files.length - 1) await fsyncDir(this.targetDir); // shards durable before the summary
      await this.put(f.tmp, final);
      if (failAt === 'restore-rename' && i === 0)
        throw new Error('test fault injected during the final renames');
    }
    await fsyncDir(this.targetDir);
  }

  /** Without --force, link()+unlink() fails atomically if the name appeared meanwhile, instead of replacing it. */
  private async put(tmp: string, final: string): Promise<void> {
    if (this.force) {
      await rename(tmp, final);
      this.steps.push({ kind: 'placed', final, tmp });
      return;
    }
    try {
      await link(tmp, final);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') {
        throw new UserError(`${final} already exists; refusing to overwrite it (pass --force to replace it)`);
      }
      throw err;
    }
    this.steps.push({ kind: 'placed', final, tmp });
    await unlink(tmp);
  }

  /** Puts the directory back as it was: restored names back to their temporary names, old files back. */
  async undo(): Promise<void> {
    for (const step of [...this.steps].reverse()) {
      if (step.kind === 'placed') await rename(step.final, step.tmp).catch(() => removeIfExists(step.final));
      else await rename(step.backup, step.final);
    }
    this.steps.length = 0;
    await fsyncDir(this.targetDir);
  }

  /** After success: the replaced files are no longer needed. */
  async discardReplaced(): Promise<void> {
    for (const step of this.steps) if (step.kind === 'aside') await removeIfExists(step.backup);
    await fsyncDir(this.targetDir);
  }
}
