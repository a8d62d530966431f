import type { Command } from 'commander';
import { commandWithSettings, onSettings } from './options.js';
import { s3SettingsFrom } from './s3-options.js';
import { UserError } from '../errors.js';
import { keyringFromSettings } from '../keys/registry.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { checkWithoutKey } from '../seal/keyless-check.js';
import { verifyAndRecord } from '../store/verify.js';
import { chooseSets } from '../store/choose.js';
import { formatBytes } from '../restore/human.js';
import { checkChain, type ChainLink } from '../store/chain.js';
import { claimedPrevious } from '../store/set-info.js';
import { previousOf } from '../format/manifest.js';

/**
 * Checks the links of the sets just looked at against every published set; prints one CHAIN line per
 * broken link and returns how many there are. `how` says where the links came from.
 */
async function reportChain(from: Store, links: ChainLink[], how: string): Promise<number> {
  const { breaks } = await checkChain(from, await from.listSets(), links);
  for (const b of breaks) process.stdout.write(`CHAIN   ${b.setId}  ${b.message}${how}\n`);
  return breaks.length;
}

/** A write-only host: completeness only, said plainly; exit 4 (not verified) or 3 (damage found). */
async function verifyWithoutKey(from: Store, ids: string[]): Promise<void> {
  let damaged = 0;
  const links: ChainLink[] = [];
  for (const id of ids) {
    links.push({ setId: id, previous: claimedPrevious(await from.readInfo(id).catch(() => undefined)) });
    const r = await checkWithoutKey(from, id);
    if (r.ok)
      process.stdout.write(
        `complete  ${id}  ${r.files} files present, sizes and headers consistent; NOT authenticated (no key here)\n`,
      );
    else {
      damaged++;
      process.stdout.write(`FAILED    ${id}  ${r.error ?? 'unknown error'}\n`);
    }
  }
  const broken = await reportChain(from, links, ' (links from set.json: NOT authenticated)');
  if (broken > 0)
    throw new UserError(
      `${broken} broken link(s) in the chain of sealed sets (see CHAIN above; docs/RUNBOOK.md "chain broken")${damaged > 0 ? `, and ${damaged} of ${ids.length} sealed sets are incomplete or damaged` : ''}`,
      3,
    );
  if (damaged > 0)
    throw new UserError(`${damaged} of ${ids.length} sealed sets are incomplete or damaged (see above)`, 3);
  throw new UserError(
    'verify: this host holds no key that can open sealed sets (a write-only host): only completeness was checked, not authenticity; run verify where the age identity or decrypting key is',
    4,
  );
}

export function verifyCommand(): Command {
  const cmd = commandWithSettings(
    'verify',
    'unwrap and authenticate every byte of sealed sets and their manifests (no plaintext is written); records the result in each status.json',
  );
  return onSettings(cmd, 'verify', async (opts) => {
    const from = await openStore(opts.from, '--from', s3SettingsFrom(opts));
    const ids = await chooseSets(from, { set: opts.set, latest: opts.latest, all: opts.all }, 'latest');
    const keyring = await keyringFromSettings(opts);
    if (!keyring.canOpen()) return verifyWithoutKey(from, ids);
    let failed = 0;
    let noKey = 0;
    let integrity = false;
    // Each verified set's authenticated link to the set sealed before it.
    const links: ChainLink[] = [];
    try {
      for (const id of ids) {
        const r = await verifyAndRecord(from, id, keyring, opts.parallelism);
        if (r.ok && r.manifest) {
          links.push({ setId: id, previous: previousOf(r.manifest) });
          const bytes = r.manifest.files.reduce((s, f) => s + f.size, 0);
          process.stdout.write(
            `ok      ${id}  ${r.manifest.files.length} files, ${formatBytes(bytes)} authenticated\n`,
          );
        } else if (r.noKey) {
          noKey++;
          process.stdout.write(
            `NO KEY  ${id}  not verified: no configured key opens it (nothing recorded)\n`,
          );
          process.stderr.write(`snapshot-guard: ${id}: ${r.error ?? 'no key'}\n`);
        } else {
          failed++;
          integrity ||= Boolean(r.integrity);
          process.stdout.write(`FAILED  ${id}  ${r.error ?? 'unknown error'}\n`);
        }
        if (r.statusWriteError) process.stderr.write(`snapshot-guard: warning: ${r.statusWriteError}\n`);
      }
    } finally {
      await keyring.close();
    }
    const broken = await reportChain(from, links, '');
    if (broken > 0) {
      throw new UserError(
        `${broken} broken link(s) in the chain of sealed sets (see CHAIN above; docs/RUNBOOK.md "chain broken")${failed > 0 ? `, and ${failed} of ${ids.length} sealed sets failed verification` : ''}`,
        3,
      );
    }
    if (failed === 0 && noKey > 0) {
      // Exit code 4: a missing key is not damage; pass a key that wraps these sets (see `list`).
      throw new UserError(
        `${noKey} of ${ids.length} sealed sets could not be opened with the configured keys; \`snapshot-guard list\` shows which keys wrap them`,
        4,
      );
    }
    if (failed > 0) {
      // Exit code 3 when data is damaged (as for any IntegrityError), 1 for key or I/O problems.
      throw new UserError(
        `${failed} of ${ids.length} sealed sets failed verification (see above)`,
        integrity ? 3 : 1,
      );
    }
  });
}
