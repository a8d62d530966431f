/**
 * Key rotation for sealed sets: replace the wrapped copies of a set's data key in every file header
 * (manifest.sgm included), without changing a byte of any encrypted payload. Each file is rewritten
 * atomically (new header + the same payload bytes into a temporary file, fsync, rename over, fsync the
 * directory), and the copied payload must hash to the digest the authenticated manifest records.
 * Every file keeps the same data key, so a set stays restorable at every moment, even half rewrapped.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { IntegrityError, UserError, errorMessage } from '../errors.js';
import { replaceWrappedKeys, verifyHeaderMac, type WrappedKey } from '../format/header.js';
import { MAX_WRAPPED_KEYS } from '../format/limits.js';
import type { Manifest } from '../format/manifest.js';
import type { Keyring } from '../keys/keyring.js';
import type { KeyContext, KeyProvider } from '../keys/provider.js';
import { mapLimit } from '../util/map-limit.js';
import { MANIFEST_FILE, encryptedNameFor } from './names.js';
import { readManifestWithKey, readStoredHeader, withSealedSet } from './sealed-set.js';
import type { Store } from './store.js';

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
  store: Store;
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
    // A write-only key (age recipients only) cannot open its own copy: the keyring checks it when one of
    // its identities is among the new recipients; otherwise the copy is as sound as the age library.
    const back = p.writeOnly
      ? await req.keyring.unwrap([w], ctx).catch(() => undefined)
      : await p.unwrap(w, ctx);
    if (!back) continue;
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
  store: Store,
  setId: string,
  name: string,
  wrapped: WrappedKey[],
  dataKey: Buffer,
  digest: string | undefined,
): Promise<void> {
  const what = store.where(setId, name);
  const header = await readStoredHeader(store, setId, name);
  if (header.context.setId !== setId)
    throw new IntegrityError(`${what}: belongs to set ${header.context.setId}`);
  let newHeader: Buffer;
  try {
    newHeader = replaceWrappedKeys(header, wrapped, dataKey); // checks the old header MAC first
  } catch (err) {
    throw new IntegrityError(`${what}: ${errorMessage(err)}`);
  }
  const hash = createHash('sha256');
  await store.replaceFile(
    setId,
    name,
    (async function* () {
      yield newHeader;
      for await (const c of store.read(setId, name, header.raw.length)) {
        hash.update(c);
        yield c;
      }
      // Checked before the store commits the new file: a damaged payload is never rewritten.
      if (digest !== undefined && hash.digest('hex') !== digest) {
        throw new IntegrityError(
          `${what}: payload digest differs from the manifest (file damaged?); left unchanged`,
        );
      }
    })(),
  );
}

/** After the rewrite: every header carries exactly the new wrappings and still authenticates. */
async function checkRewritten(
  store: Store,
  setId: string,
  manifest: Manifest,
  wrapped: WrappedKey[],
  dataKey: Buffer,
): Promise<void> {
  const again = await readManifestWithKey(store, setId, dataKey);
  if (JSON.stringify(again) !== JSON.stringify(manifest))
    throw new IntegrityError(`${store.where(setId, MANIFEST_FILE)}: changed by rewrap`);
  for (const name of [MANIFEST_FILE, ...manifest.files.map((f) => encryptedNameFor(f.name))]) {
    const h = await readStoredHeader(store, setId, name);
    try {
      verifyHeaderMac(h, dataKey);
    } catch (err) {
      throw new IntegrityError(`${store.where(setId, name)}: ${errorMessage(err)}`);
    }
    if (!sameWrappings(h.wrappedKeys, wrapped))
      throw new IntegrityError(`${store.where(setId, name)}: header does not carry the new wrappings`);
  }
}

export function rewrapSet(req: RewrapRequest): Promise<RewrapOutcome> {
  const { store, setId } = req;
  return withSealedSet(store, setId, req.keyring, async ({ header, manifest, dataKey }) => {
    const ctx = { instance: header.context.instance, setId: header.context.setId };
    const wrapped = await newWrappings(header.wrappedKeys, req, dataKey, ctx);
    const summary = wrapped.map(({ provider, keyId }) => ({ provider, keyId }));
    const files = manifest.files.length + 1;
    if (sameWrappings(wrapped, header.wrappedKeys))
      return { setId, changed: false, wrappedKeys: summary, files };

    await mapLimit(manifest.files, req.parallelism, (f) =>
      rewriteFile(store, setId, encryptedNameFor(f.name), wrapped, dataKey, f.payloadSha256),
    );
    // The manifest last: restore unwraps from its header, which keeps the old keys until the very end.
    await rewriteFile(store, setId, MANIFEST_FILE, wrapped, dataKey, undefined);
    await checkRewritten(store, setId, manifest, wrapped, dataKey);

    const info = await store.readInfo(setId);
    if (info) await store.writeInfo(setId, { ...info, wrappedKeys: summary });
    return { setId, changed: true, wrappedKeys: summary, files };
  });
}

/** Reads a set's current wrappings from its manifest header, without any key (for planning). */
export async function currentWrappings(store: Store, setId: string): Promise<WrappedKey[]> {
  return (await readStoredHeader(store, setId, MANIFEST_FILE)).wrappedKeys;
}
