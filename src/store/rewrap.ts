/**
 * Key rotation for sealed sets: replace the wrapped copies of a set's data key in every file header
 * (manifest.sgm included), without changing a byte of any encrypted payload. Each file is rewritten
 * atomically (new header + the same payload bytes into a temporary file, fsync, rename over, fsync the
 * directory), and the copied payload must hash to the digest the authenticated manifest records.
 * Every file keeps the same data key, so a set stays restorable at every moment, even half rewrapped.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { chown, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { IntegrityError, UserError, errorMessage } from '../errors.js';
import { readHeaderAt } from '../files/encrypted-file.js';
import { replaceWrappedKeys, verifyHeaderMac, type WrappedKey } from '../format/header.js';
import { MAX_WRAPPED_KEYS } from '../format/limits.js';
import type { Manifest } from '../format/manifest.js';
import { fsyncDir, readChunks, removeIfExists, tempPathFor, writeNewFile } from '../io/durable.js';
import { writeJsonAtomic } from '../io/json-file.js';
import type { Keyring } from '../keys/keyring.js';
import type { KeyContext, KeyProvider } from '../keys/provider.js';
import { mapLimit } from '../pipeline/limit.js';
import { checkSetListing, readManifestWithKey, unwrapSetKey } from '../pipeline/verify-set.js';
import { MANIFEST_FILE, SET_INFO_FILE, encryptedNameFor, setDir } from './layout.js';
import { giveToOwnerOf, runningAsRoot } from './ownership.js';
import { readSetInfo } from './set-info.js';
import { assertManifestOf } from './sets.js';

/** A --drop-key argument: a key spec (file:/path, kms:…, vault:…) or a key id as `list` shows it. */
export interface DropMatcher {
  label: string;
  matches(w: WrappedKey): boolean;
}

export function dropByProvider(label: string, p: KeyProvider): DropMatcher {
  return { label, matches: (w) => p.canUnwrap(w) };
}

export function dropById(id: string): DropMatcher {
  return { label: id, matches: (w) => w.keyId === id || `${w.provider}:${w.keyId}` === id };
}

export interface RewrapRequest {
  encryptedDir: string;
  setId: string;
  /** Unwraps the current data key. */
  keyring: Keyring;
  to: KeyProvider[];
  drop: DropMatcher[];
  parallelism: number;
}

export interface RewrapOutcome {
  setId: string;
  changed: boolean;
  wrappedKeys: { provider: string; keyId: string }[];
  files: number;
}

function describeKeys(ws: WrappedKey[]): string {
  return ws.map((w) => `${w.provider}:${w.keyId}`).join(', ');
}

/** What the wrappings of a set become: drops applied, then each target key's copy made or refreshed. */
async function newWrappings(
  current: WrappedKey[],
  req: RewrapRequest,
  dataKey: Buffer,
  ctx: KeyContext,
): Promise<WrappedKey[]> {
  const kept = current.filter((w) => !req.drop.some((d) => d.matches(w)));
  const made: { p: KeyProvider; w: WrappedKey }[] = [];
  for (const p of req.to) {
    const existing = kept.find((w) => p.canUnwrap(w));
    if (!existing) {
      const w = await p.wrap(dataKey, ctx);
      kept.push(w);
      made.push({ p, w });
    } else if (!p.rewrap) {
      made.push({ p, w: existing }); // e.g. a local key: its copy is already current
    } else {
      // Server-side (KMS ReEncrypt, Vault rewrap): the newest key version, the data key never leaves.
      const w = await p.rewrap(existing, ctx);
      // The same key (a newer version) replaces its old copy; another key (an alias that matched a
      // copy of a different key) is added beside it, so no key loses access without --drop-key.
      const same = kept.findIndex((x) => x.provider === w.provider && x.keyId === w.keyId);
      if (same >= 0) kept[same] = w;
      else kept.push(w);
      made.push({ p, w });
    }
  }
  if (kept.length === 0) {
    throw new UserError(
      `${req.setId}: refusing to drop its last wrapping key (${describeKeys(current)}); add one with --to-key first`,
    );
  }
  if (kept.length > MAX_WRAPPED_KEYS) {
    throw new UserError(`${req.setId}: at most ${MAX_WRAPPED_KEYS} wrapping keys per set`);
  }
  // A copy that does not unwrap to the same data key would make the set unrecoverable once old keys go.
  for (const { p, w } of made) {
    const back = await p.unwrap(w, ctx);
    const same = back.length === dataKey.length && timingSafeEqual(back, dataKey);
    back.fill(0);
    if (!same) {
      throw new UserError(
        `${p.description} did not give back the set's data key after wrapping it; nothing was changed`,
      );
    }
  }
  return kept;
}

function sameWrappings(a: WrappedKey[], b: WrappedKey[]): boolean {
  return (
    a.length === b.length &&
    a.every((w, i) => {
      const o = b[i];
      return o !== undefined && o.provider === w.provider && o.keyId === w.keyId && o.blob.equals(w.blob);
    })
  );
}

/** Rewrites one file's header; the payload bytes are copied unchanged and must hash to `digest` when given. */
async function rewriteFile(
  path: string,
  setId: string,
  wrapped: WrappedKey[],
  dataKey: Buffer,
  digest: string | undefined,
): Promise<void> {
  const header = await readHeaderAt(path);
  if (header.context.setId !== setId)
    throw new IntegrityError(`${path}: belongs to set ${header.context.setId}`);
  let newHeader: Buffer;
  try {
    newHeader = replaceWrappedKeys(header, wrapped, dataKey); // checks the old header MAC first
  } catch (err) {
    throw new IntegrityError(`${path}: ${errorMessage(err)}`);
  }
  const hash = createHash('sha256');
  const tmp = tempPathFor(path);
  try {
    await writeNewFile(
      tmp,
      (async function* () {
        yield newHeader;
        for await (const c of readChunks(path, 1024 * 1024, header.raw.length)) {
          hash.update(c);
          yield c;
        }
      })(),
    );
    if (digest !== undefined && hash.digest('hex') !== digest) {
      throw new IntegrityError(
        `${path}: payload digest differs from the manifest (file damaged?); left unchanged`,
      );
    }
    if (runningAsRoot()) {
      const st = await stat(path);
      await chown(tmp, st.uid, st.gid); // the daemon's user must still read its sets
    }
    await rename(tmp, path);
  } finally {
    await removeIfExists(tmp);
  }
  await fsyncDir(dirname(path));
}

/** After the rewrite: every header carries exactly the new wrappings and still authenticates. */
async function checkRewritten(
  dir: string,
  manifest: Manifest,
  wrapped: WrappedKey[],
  dataKey: Buffer,
): Promise<void> {
  const again = await readManifestWithKey(dir, dataKey);
  if (JSON.stringify(again) !== JSON.stringify(manifest))
    throw new IntegrityError(`${join(dir, MANIFEST_FILE)}: changed by rewrap`);
  for (const name of [MANIFEST_FILE, ...manifest.files.map((f) => encryptedNameFor(f.name))]) {
    const path = join(dir, name);
    const h = await readHeaderAt(path);
    try {
      verifyHeaderMac(h, dataKey);
    } catch (err) {
      throw new IntegrityError(`${path}: ${errorMessage(err)}`);
    }
    if (!sameWrappings(h.wrappedKeys, wrapped))
      throw new IntegrityError(`${path}: header does not carry the new wrappings`);
  }
}

export async function rewrapSet(req: RewrapRequest): Promise<RewrapOutcome> {
  const dir = setDir(req.encryptedDir, req.setId);
  const { dataKey, header } = await unwrapSetKey(dir, req.keyring);
  try {
    assertManifestOf(req.encryptedDir, req.setId, header.context.setId);
    const manifest = await readManifestWithKey(dir, dataKey);
    await checkSetListing(dir, manifest);
    const ctx = { instance: header.context.instance, setId: header.context.setId };
    const wrapped = await newWrappings(header.wrappedKeys, req, dataKey, ctx);
    const summary = wrapped.map(({ provider, keyId }) => ({ provider, keyId }));
    const files = manifest.files.length + 1;
    if (sameWrappings(wrapped, header.wrappedKeys))
      return { setId: req.setId, changed: false, wrappedKeys: summary, files };

    await mapLimit(manifest.files, req.parallelism, (f) =>
      rewriteFile(join(dir, encryptedNameFor(f.name)), req.setId, wrapped, dataKey, f.payloadSha256),
    );
    // The manifest last: restore unwraps from its header, which keeps the old keys until the very end.
    await rewriteFile(join(dir, MANIFEST_FILE), req.setId, wrapped, dataKey, undefined);
    await checkRewritten(dir, manifest, wrapped, dataKey);

    const info = await readSetInfo(dir);
    if (info) {
      await writeJsonAtomic(join(dir, SET_INFO_FILE), { ...info, wrappedKeys: summary });
      await giveToOwnerOf(join(dir, SET_INFO_FILE), dir);
    }
    return { setId: req.setId, changed: true, wrappedKeys: summary, files };
  } finally {
    dataKey.fill(0);
  }
}

/** Reads a set's current wrappings from its manifest header, without any key (for planning). */
export async function currentWrappings(encryptedDir: string, setId: string): Promise<WrappedKey[]> {
  return (await readHeaderAt(join(setDir(encryptedDir, setId), MANIFEST_FILE))).wrappedKeys;
}
