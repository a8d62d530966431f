import type { Command } from 'commander';
import { commandWithSettings, onSettings } from './options.js';
import { s3SettingsFrom } from './s3-options.js';
import { UserError } from '../errors.js';
import { isKeySpec, keyringFromSettings, providersFromSpecs, type KeySettings } from '../keys/registry.js';
import type { KeyProvider } from '../keys/provider.js';
import { ageRecipientsTarget } from '../keys/age/index.js';
import { currentWrappings, dropById, dropByProvider, rewrapSet, type DropMatcher } from '../store/rewrap.js';
import { chooseSets } from '../store/choose.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';

async function dropMatchers(
  items: string[],
  keys: KeySettings,
  opened: KeyProvider[],
): Promise<DropMatcher[]> {
  const out: DropMatcher[] = [];
  for (const item of items) {
    if (isKeySpec(item)) {
      const [p] = await providersFromSpecs([item], keys);
      if (p) {
        opened.push(p);
        out.push(dropByProvider(item, p));
      }
    } else out.push(dropById(item));
  }
  return out;
}

/** Checks, before any file changes, that every --drop-key names a key some chosen set really has. */
async function checkPlan(from: Store, ids: string[], drops: DropMatcher[], adding: number): Promise<void> {
  const unused = new Set(drops);
  for (const id of ids) {
    const current = await currentWrappings(from, id);
    for (const d of drops) if (current.some((w) => d.matches(w))) unused.delete(d);
    const left = current.filter((w) => !drops.some((d) => d.matches(w)));
    if (left.length === 0 && adding === 0) {
      throw new UserError(
        `refusing to drop the last wrapping key of set ${id}; add a new one with --to-key`,
        2,
      );
    }
  }
  for (const d of unused) {
    throw new UserError(
      `--drop-key ${d.label} matches no wrapping key of the chosen sets; \`snapshot-guard list --from ${from.location}\` shows their keys`,
      2,
    );
  }
}

export function rewrapCommand(): Command {
  const cmd = commandWithSettings(
    'rewrap',
    'key rotation: re-wrap the data keys of sealed sets under new wrapping keys, rewriting file headers only (payload bytes unchanged)',
  );
  return onSettings(cmd, 'rewrap', async (opts) => {
    const from = await openStore(opts.from, '--from', s3SettingsFrom(opts));
    const toSpecs = opts.toKey;
    const dropItems = opts.dropKey;
    // --age-recipient / --age-recipients-file on rewrap: add a copy for those recipients.
    const ageTo = await ageRecipientsTarget(opts);
    if (toSpecs.length === 0 && dropItems.length === 0 && ageTo.length === 0) {
      throw new UserError('nothing to do: pass --to-key SPEC (and/or --drop-key KEY)', 2);
    }
    const ids = await chooseSets(from, { set: opts.set, all: opts.all }, 'all');
    const keyring = await keyringFromSettings(opts);
    keyring.assertCanOpen('rewrap');
    const opened: KeyProvider[] = [];
    try {
      const to = [...(await providersFromSpecs(toSpecs, opts)), ...ageTo];
      opened.push(...to);
      const drop = await dropMatchers(dropItems, opts, opened);
      await checkPlan(from, ids, drop, to.length);
      for (const id of ids) {
        const r = await rewrapSet({
          store: from,
          setId: id,
          keyring,
          to,
          drop,
          parallelism: opts.parallelism,
        });
        const keys = r.wrappedKeys.map((k) => `${k.provider}:${k.keyId}`).join(', ');
        process.stdout.write(
          r.changed
            ? `rewrapped  ${id}  ${r.files} headers rewritten; keys now ${keys}\n`
            : `unchanged  ${id}  already wrapped by ${keys}\n`,
        );
      }
    } finally {
      await Promise.all(opened.map(async (p) => p.close?.()));
      await keyring.close();
    }
  });
}
