import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { UserError, errnoCode, errorMessage } from '../errors.js';
import { keyringFromSettings } from '../keys/registry.js';
import { addKeyOptions, keySettingsFrom, type ParsedOptions } from './key-options.js';
import { formatBytes } from '../restore/human.js';
import { loadAdvice } from '../restore/load-advice.js';
import { resolveOwner, type Owner } from '../restore/owner.js';
import { progressFor } from '../restore/progress.js';
import { restoreSet } from '../restore/restore-set.js';
import { restoreNewestIntact, type SkippedSet } from '../restore/fallback.js';
import { RESTORE_STATUS_FILE, writeRestoreStatus, type RestoreStatus } from '../snapshots/restore-status.js';
import { giveToOwnerOf } from '../store/local/ownership.js';
import { scanDirectory } from '../snapshots/scan.js';
import { chooseSets } from '../store/choose.js';
import { NoStoreError } from '../store/errors.js';
import { addS3Options, s3SettingsFrom } from './s3-options.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { parseIntegerIn, threadsOption } from './common.js';

/** Owner read+write always; the group may read or write; never others, never execute. */
function parseFileMode(value: string): number {
  const mode = /^0?[0-7]{3}$/.test(value) ? parseInt(value, 8) : NaN;
  if (!Number.isInteger(mode) || (mode & 0o600) !== 0o600 || (mode & 0o117) !== 0) {
    throw new UserError(
      `--mode must be 0600, 0640 or 0660 (owner read/write, no access for others), got "${value}"`,
      2,
    );
  }
  return mode;
}

/** --if-empty: the reason to do nothing, or undefined when the restore should run. */
async function reasonToSkip(from: Store, to: string): Promise<string | undefined> {
  try {
    const usable = (await scanDirectory(to)).sets.at(-1);
    if (usable) {
      const last = usable.files.at(-1)?.name ?? usable.stem;
      return `restore skipped: ${to} already holds a complete snapshot (${last}); Dragonfly will load it`;
    }
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EACCES' || code === 'EPERM') {
      throw new UserError(
        `permission denied: cannot look into ${to}; run restore as the owner of that directory or as root`,
      );
    }
    if (code !== 'ENOENT') throw err;
  }
  try {
    if ((await from.listSets()).length === 0) {
      return `restore skipped: no sealed set in ${from.location} yet (first start?); Dragonfly starts empty`;
    }
  } catch (err) {
    if (err instanceof NoStoreError) {
      return `restore skipped: ${from.location} does not exist yet, so nothing was ever sealed (first start?); Dragonfly starts empty`;
    }
    throw err;
  }
  return undefined;
}

/** The status file `watch` reads; as root it goes to the directory's owner, like the restored files. */
async function recordRestore(to: string, status: RestoreStatus): Promise<void> {
  await writeRestoreStatus(to, status);
  await giveToOwnerOf(join(to, RESTORE_STATUS_FILE), to);
}

function ownerText(chowned: { uid: number; gid: number } | undefined, owner: Owner | undefined): string {
  if (owner) return `owned by ${owner.spec}`;
  if (chowned)
    return `owned by uid ${chowned.uid} gid ${chowned.gid} (the owner of the directory; pass --owner to choose)`;
  return 'owned by the user running restore';
}

export function restoreCommand(): Command {
  const cmd = new Command('restore')
    .description(
      "decrypt a sealed set back into Dragonfly/Redis's directory; files appear only after every byte and the set manifest authenticated",
    )
    .requiredOption('--from <dir>', 'directory holding the sealed sets (the --out of watch)')
    .option('--set <id>', 'restore this set (ids are shown by `snapshot-guard list`)')
    .option('--latest', 'restore the newest set that verifies (newer damaged sets are skipped, loudly)')
    .option('--strict', 'with --latest: fail when the newest set does not verify, instead of falling back')
    .requiredOption('--to <dir>', "Dragonfly's --dir (created 0700 if missing)")
    .option(
      '--owner <user[:group]>',
      'give the restored files to this user (needs root), e.g. dragonfly:dragonfly',
    )
    .option('--force', 'replace snapshot files of the same names that are already there')
    .addOption(
      new Option(
        '--mode <octal>',
        'mode of the restored files: 0600, or 0640/0660 when Dragonfly shares --dir with a group',
      )
        .argParser(parseFileMode)
        .default(0o600, '0600'),
    )
    .option(
      '--if-empty',
      'do nothing when --to already holds a complete snapshot or nothing was ever sealed (for restore on boot)',
    )
    .addOption(
      new Option('--parallelism <n>', 'files decrypted at once (when no file is split between threads)')
        .argParser(parseIntegerIn('--parallelism', 1, 64))
        .default(2),
    )
    .addOption(threadsOption('one per CPU (up to 8) for a set of one file of 64 MiB or more, else 1'));
  addKeyOptions(cmd);
  addS3Options(cmd);
  return cmd.action(async (opts: ParsedOptions) => {
    const from = openStore(opts.from as string, '--from', s3SettingsFrom(opts));
    const to = resolve(opts.to as string);
    const choice = { set: opts.set as string | undefined, latest: opts.latest as boolean };
    if ((choice.set === undefined) === !choice.latest) {
      throw new UserError('choose what to restore: pass either --set ID or --latest', 2);
    }
    if (opts.ifEmpty) {
      const reason = await reasonToSkip(from, to);
      if (reason) {
        process.stdout.write(`${reason}\n`);
        return;
      }
    }
    const owner = opts.owner ? await resolveOwner(opts.owner as string) : undefined;
    // --latest: every set, newest first, so that a damaged newest set can fall back to an older one.
    const chosen = await chooseSets(from, choice.latest ? { all: true } : choice, 'none');
    if (chosen.length === 0) throw new UserError(`no sealed set in ${from.location} yet`);
    const keyring = await keyringFromSettings(keySettingsFrom(opts));
    let skipped: SkippedSet[] = [];
    try {
      const started = performance.now();
      const restored = await restoreNewestIntact(
        chosen,
        Boolean(opts.strict),
        (id) =>
          restoreSet({
            store: from,
            setId: id,
            targetDir: to,
            keyring,
            ...(owner ? { owner } : {}),
            force: Boolean(opts.force),
            mode: opts.mode as number,
            parallelism: opts.parallelism as number,
            threads: opts.threads as number,
            progress: progressFor(process.stderr),
          }),
        (s) => {
          skipped.push(s);
          process.stderr.write(
            `snapshot-guard: SKIPPED set ${s.setId}: it failed verification (${s.error}); trying the next older set\n`,
          );
        },
      );
      const { setId, outcome: out } = restored;
      skipped = restored.skipped;
      await recordRestore(to, { at: new Date().toISOString(), ok: true, setId, skipped });
      const seconds = (performance.now() - started) / 1000;
      const lines = [
        `restored set ${setId} (snapshot of ${out.manifest.snapshotTime}) into ${to}: ${out.manifest.files.length} files, ${formatBytes(out.bytes)} in ${seconds.toFixed(1)} s`,
        `files are mode ${(opts.mode as number).toString(8).padStart(4, '0')}, ${ownerText(out.chowned, owner)}; all authenticated against the set manifest`,
        ...loadAdvice(out.manifest, to),
      ];
      if (skipped.length > 0)
        lines.push(
          `FELL BACK: ${skipped.length} newer set(s) failed verification and were skipped (${skipped.map((x) => x.setId).join(', ')}); run snapshot-guard verify --all`,
        );
      process.stdout.write(`${lines.join('\n')}\n`);
    } catch (err) {
      // Restore on boot (--if-empty) records its failure for `watch` (metric, alert); a restore run by
      // hand leaves the directory exactly as it was. The error itself goes on up.
      if (opts.ifEmpty) {
        const status = { at: new Date().toISOString(), ok: false, skipped, error: errorMessage(err) };
        await recordRestore(to, status).catch(() => undefined);
      }
      throw err;
    } finally {
      await keyring.close();
    }
  });
}
