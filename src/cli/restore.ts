import type { Command } from 'commander';
import { commandWithSettings, onSettings } from './options.js';
import { s3SettingsFrom } from './s3-options.js';
import { chmod } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError, errnoCode, errorMessage } from '../errors.js';
import { keyringFromSettings } from '../keys/registry.js';
import { formatBytes } from '../restore/human.js';
import { loadAdvice } from '../restore/load-advice.js';
import { resolveOwner, type Owner } from '../restore/owner.js';
import { progressFor } from '../restore/progress.js';
import { restoreSet } from '../restore/restore-set.js';
import { restoreNewestIntact, type SkippedSet } from '../restore/fallback.js';
import { freshSets, staleMessage, staleSet } from '../restore/max-age.js';
import { RESTORE_STATUS_FILE, writeRestoreStatus, type RestoreStatus } from '../snapshots/restore-status.js';
import { giveToOwnerOf } from '../store/local/ownership.js';
import { existingSnapshot } from '../restore/existing-snapshot.js';
import { chooseSets } from '../store/choose.js';
import { NoStoreError } from '../store/errors.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';

/** --if-empty: the reason to do nothing, or undefined when the restore should run. */
async function reasonToSkip(from: Store, to: string): Promise<string | undefined> {
  try {
    const existing = await existingSnapshot(to);
    if (existing.kind === 'complete') {
      return `restore skipped: ${to} already holds a complete snapshot (${existing.name}); Dragonfly will load it`;
    }
    if (existing.kind === 'incomplete') {
      process.stdout.write(
        `${join(to, existing.name)} is not a complete snapshot (${existing.why}); restoring the newest sealed set\n`,
      );
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
  // Whatever the umask (systemd UMask=0077): `watch` reads it as a member of Dragonfly's group.
  await chmod(join(to, RESTORE_STATUS_FILE), 0o640);
  await giveToOwnerOf(join(to, RESTORE_STATUS_FILE), to);
}

function ownerText(chowned: { uid: number; gid: number } | undefined, owner: Owner | undefined): string {
  if (owner) return `owned by ${owner.spec}`;
  if (chowned)
    return `owned by uid ${chowned.uid} gid ${chowned.gid} (the owner of the directory; pass --owner to choose)`;
  return 'owned by the user running restore';
}

export function restoreCommand(): Command {
  const cmd = commandWithSettings(
    'restore',
    "decrypt a sealed set back into Dragonfly/Redis's directory; files appear only after every byte and the set manifest authenticated",
  );
  return onSettings(cmd, 'restore', async (opts) => {
    const from = await openStore(opts.from, '--from', s3SettingsFrom(opts));
    const to = resolve(opts.to);
    const choice = { set: opts.set, latest: opts.latest };
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
    const owner = opts.owner ? await resolveOwner(opts.owner) : undefined;
    // --latest: every set, newest first, so that a damaged newest set can fall back to an older one.
    const chosen = await chooseSets(from, choice.latest ? { all: true } : choice, 'none');
    if (chosen.length === 0) throw new UserError(`no sealed set in ${from.location} yet`);
    // --max-age: never a set older than that, except on boot (--if-empty), where Dragonfly must start.
    const maxAge = choice.latest ? opts.maxAge : undefined;
    const now = Date.now();
    const staleNewest = maxAge === undefined ? undefined : staleSet(chosen[0], maxAge, now);
    if (staleNewest && !opts.ifEmpty)
      throw new UserError(
        `refusing to restore: ${staleMessage(staleNewest, true)}; to restore it anyway pass --set ${staleNewest.setId}`,
      );
    if (staleNewest)
      process.stderr.write(
        `snapshot-guard: ERROR: ${staleMessage(staleNewest, true)}; restoring it anyway (--if-empty: Dragonfly must start); recorded for watch (snapshot_guard_restore_on_boot_total{outcome="stale"})\n`,
      );
    const candidates = maxAge !== undefined && !opts.ifEmpty ? freshSets(chosen, maxAge, now) : chosen;
    const keyring = await keyringFromSettings(opts);
    keyring.assertCanOpen('restore');
    let skipped: SkippedSet[] = [];
    try {
      const started = performance.now();
      const restored = await restoreNewestIntact(
        candidates,
        opts.strict,
        (id) =>
          restoreSet({
            store: from,
            setId: id,
            targetDir: to,
            keyring,
            ...(owner ? { owner } : {}),
            force: opts.force,
            mode: opts.mode,
            parallelism: opts.parallelism,
            threads: opts.threads,
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
      // Also after falling back: the set restored may be older than --max-age though the newest was not.
      const stale = maxAge === undefined ? undefined : staleSet(setId, maxAge, now);
      if (stale && !staleNewest)
        process.stderr.write(`snapshot-guard: ERROR: restored ${staleMessage(stale, false)}\n`);
      await recordRestore(to, {
        at: new Date().toISOString(),
        ok: true,
        setId,
        skipped,
        ...(stale ? { stale } : {}),
      });
      const seconds = (performance.now() - started) / 1000;
      const lines = [
        `restored set ${setId} (snapshot of ${out.manifest.snapshotTime}) into ${to}: ${out.manifest.files.length} files, ${formatBytes(out.bytes)} in ${seconds.toFixed(1)} s`,
        `files are mode ${opts.mode.toString(8).padStart(4, '0')}, ${ownerText(out.chowned, owner)}; all authenticated against the set manifest`,
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
