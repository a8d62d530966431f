/**
 * `snapshot-guard doctor`: one screen that says whether this host can seal and restore, for the
 * 3 a.m. question "is the backup path healthy?". Reads and checks; changes nothing (it does not even
 * create --out). Each line is ok / warn / FAIL with the fix; exit 1 when anything failed.
 */
import type { Command } from 'commander';
import { commandWithSettings, onSettings } from './options.js';
import { s3SettingsFrom } from './s3-options.js';
import { resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import { keyringFromSettings } from '../keys/registry.js';
import type { Keyring } from '../keys/keyring.js';
import { KeyProviderError } from '../keys/errors.js';
import { checkDirectories, rejectRemoteDir } from '../snapshots/permissions.js';
import { loadingFinished } from '../snapshots/dragonfly-info.js';
import { scanDirectory } from '../snapshots/scan.js';
import { SnapshotUnreadableError } from '../snapshots/source-changed.js';
import { assertReadable } from '../snapshots/stable-source.js';
import { NoStoreError } from '../store/errors.js';
import { openStore } from '../store/open.js';
import { checkChain, type ChainLink } from '../store/chain.js';
import { unwrapSetKey } from '../store/sealed-set.js';
import { claimedPrevious } from '../store/set-info.js';
import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { auditSummary } from '../audit/summary.js';
import { auditInputsFrom } from './audit.js';

type Level = 'ok' | 'warn' | 'FAIL';

class Report {
  failures = 0;
  line(level: Level, what: string): void {
    if (level === 'FAIL') this.failures++;
    process.stdout.write(`${level.padEnd(4)}  ${what}\n`);
  }
}

async function checkDirs(r: Report, dir: string, out: Store): Promise<boolean> {
  try {
    rejectRemoteDir(dir);
    const checked = await checkDirectories({
      dragonflyDir: dir,
      ...(out.local ? { encryptedDir: out.location } : {}),
      allowGroupAccess: true,
      strict: false,
    });
    for (const w of checked.warnings) r.line('warn', w);
    r.line('ok', `directories usable: --dir ${dir}, --out ${out.location}`);
    return true;
  } catch (err) {
    r.line('FAIL', errorMessage(err));
    return false;
  }
}

async function checkSnapshots(r: Report, dir: string): Promise<void> {
  try {
    const scan = await scanDirectory(dir);
    for (const p of scan.problems) r.line('warn', `${p.name}: ${p.problem}`);
    if (scan.sets.length === 0) r.line('ok', `no unsealed snapshot waiting in ${dir}`);
    for (const s of scan.sets) {
      // What watch would hit first: a snapshot it cannot open (the fix is in the message).
      const unreadable = await assertReadable(s.files).then(
        () => undefined,
        (err: unknown) => (err instanceof SnapshotUnreadableError ? err.message : undefined),
      );
      if (unreadable) r.line('FAIL', unreadable);
      const age = Math.round((Date.now() - s.snapshotTimeMs) / 1000);
      r.line(
        age > 600 ? 'warn' : 'ok',
        `unsealed ${s.format} snapshot "${s.stem}" (${s.files.length} files), ${age} s old${age > 600 ? ': is watch running?' : ''}`,
      );
    }
  } catch (err) {
    r.line('FAIL', `cannot scan ${dir}: ${errorMessage(err)}`);
  }
}

/** Whether the keys here can open sets (false on a write-only host, or a role denied decryption). */
async function checkKeys(r: Report, keyring: Keyring): Promise<boolean> {
  try {
    await keyring.check();
    if (!keyring.canOpen()) {
      const key = await keyring.newDataKey({
        instance: 'snapshot-guard-doctor',
        setId: `doctor-${Date.now()}`,
      });
      key.plaintext.fill(0);
      r.line(
        'ok',
        `keys can wrap a data key: ${keyring.describe()}; this is a write-only host: no key here can open sealed sets, so restore and full verify run where the age identity is (--age-identity)`,
      );
      return false;
    }
    // A real round trip proves the permissions sealing and restoring need (generate/wrap and unwrap).
    const ctx = { instance: 'snapshot-guard-doctor', setId: `doctor-${Date.now()}` };
    const key = await keyring.newDataKey(ctx);
    let back: Buffer;
    try {
      back = await keyring.unwrap(key.wrapped, ctx, 'doctor round trip');
    } catch (err) {
      key.plaintext.fill(0);
      if (!(err instanceof KeyProviderError) || err.transient) throw err;
      // A sealing role denied decryption (KMS without kms:Decrypt, Vault without transit/decrypt).
      r.line(
        'warn',
        `keys can wrap a data key but not unwrap it here (${errorMessage(err)}): right for a write-only sealing role; restore, verify and decrypt need a role that can decrypt`,
      );
      return false;
    }
    const same = back.equals(key.plaintext);
    key.plaintext.fill(0);
    back.fill(0);
    r.line(same ? 'ok' : 'FAIL', `keys can wrap and unwrap a data key: ${keyring.describe()}`);
    return true;
  } catch (err) {
    r.line('FAIL', `key provider: ${errorMessage(err)}`);
    return true;
  }
}

async function checkSealed(r: Report, out: Store, keyring: Keyring, canOpen: boolean): Promise<void> {
  let ids: string[];
  try {
    ids = await out.listSets();
  } catch (err) {
    if (!(err instanceof NoStoreError)) throw err;
    r.line('warn', `--out ${out.location} does not exist yet; watch creates it (mode 0700)`);
    return;
  }
  for (const notice of await out.notices()) r.line('warn', notice);
  const newest = ids[0];
  if (!newest) {
    r.line('warn', `no sealed set in ${out.location} yet`);
    return;
  }
  const status = await out.readStatus(newest);
  const verified = status
    ? `last verified ${status.verifiedAt}: ${status.ok ? 'ok' : `FAILED (${status.error ?? ''})`}`
    : 'never verified';
  r.line(status && !status.ok ? 'FAIL' : 'ok', `${ids.length} sealed set(s); newest ${newest}, ${verified}`);
  await checkSetChain(r, out, ids);
  if (!canOpen) {
    r.line('ok', `the newest set was not opened: this write-only host holds no key that can open sets`);
    return;
  }
  try {
    const { dataKey } = await unwrapSetKey(out, newest, keyring);
    dataKey.fill(0);
    r.line(
      'ok',
      `the newest set's data key unwraps with these keys (full check: snapshot-guard verify --latest)`,
    );
  } catch (err) {
    r.line('FAIL', `cannot unwrap the newest set: ${errorMessage(err)}`);
  }
}

/** The chain of sets, from set.json (a hint: `verify --all` checks the authenticated links). */
async function checkSetChain(r: Report, out: Store, ids: string[]): Promise<void> {
  const links: ChainLink[] = [];
  for (const id of ids)
    links.push({ setId: id, previous: claimedPrevious(await out.readInfo(id).catch(() => undefined)) });
  const { breaks } = await checkChain(out, ids, links);
  for (const b of breaks) r.line('FAIL', `${b.message} (link from set.json, not authenticated)`);
  if (breaks.length === 0)
    r.line(
      'ok',
      `the chain of ${ids.length} sealed set(s) has no gap and no replaced set (links from set.json, not authenticated; full check: snapshot-guard verify --all)`,
    );
}

export function doctorCommand(): Command {
  const cmd = commandWithSettings(
    'doctor',
    'check that this host can seal and restore: directories, permissions, keys, sealed sets, Dragonfly',
  );
  return onSettings(cmd, 'doctor', async (opts) => {
    const audit = auditInputsFrom(opts);
    const r = new Report();
    const dir = resolve(opts.dir);
    const out = await openStore(opts.out, '--out', s3SettingsFrom(opts));
    r.line('ok', `snapshot-guard ${VERSION} on Node.js ${process.versions.node}`);
    if (await checkDirs(r, dir, out)) await checkSnapshots(r, dir);
    let keyring: Keyring | undefined;
    try {
      keyring = await keyringFromSettings(opts);
    } catch (err) {
      r.line('FAIL', errorMessage(err));
    }
    if (keyring) {
      const canOpen = await checkKeys(r, keyring);
      await checkSealed(r, out, keyring, canOpen).catch((err: unknown) => r.line('FAIL', errorMessage(err)));
      await keyring.close();
    }
    const url = opts.dragonflyUrl;
    if (url) {
      const loaded = await loadingFinished(url).catch(() => undefined);
      if (loaded === undefined)
        r.line('FAIL', 'Dragonfly does not answer at --dragonfly-url (address, password, or is it running?)');
      else r.line('ok', `Dragonfly answers; ${loaded ? 'not loading' : 'still loading a snapshot'}`);
    }
    // Configuration findings are warnings here: doctor fails only on what breaks sealing or restoring.
    const summary = await auditSummary({ ...audit, dir, dragonflyUrl: url });
    r.line(summary.level, summary.text);
    process.stdout.write(r.failures === 0 ? 'all checks passed\n' : `${r.failures} check(s) failed\n`);
    if (r.failures > 0) process.exitCode = 1;
  });
}
