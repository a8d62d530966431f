/**
 * Opening a sealed set, the one way every reader does it (restore, verify, rewrap, recovery, doctor):
 * unwrap the data key once from the manifest's header, check that the set is the one its name says,
 * authenticate the manifest, check that the store holds exactly the manifest's files, and zero the key
 * when done. Verification then authenticates every byte of every file against the manifest.
 */
import { IntegrityError } from '../errors.js';
import { PullReader } from '../format/chunks.js';
import { decryptFile, readHeader } from '../format/file.js';
import type { ParsedHeader } from '../format/header.js';
import { decodeManifest, type Manifest } from '../format/manifest.js';
import {
  authenticateBytes,
  authenticatePath,
  checkHeaderOf,
  readHeaderFrom,
  type AuthenticatedFile,
} from '../files/authenticate.js';
import { fileError } from '../files/encrypted-file.js';
import { readChunks } from '../io/durable.js';
import type { Keyring } from '../keys/keyring.js';
import { mapLimit } from '../util/map-limit.js';
import { MANIFEST_CONTEXT_NAME, MANIFEST_FILE, encryptedNameFor } from './names.js';
import type { Store, StoredFile } from './store.js';

export interface OpenedSet {
  setId: string;
  /** The manifest file's header: context, wrapped keys. */
  header: ParsedHeader;
  manifest: Manifest;
  /** The set's data key; zeroed by close(). */
  dataKey: Buffer;
  /** The store's files of the set, exactly the manifest's (manifest included). */
  files: StoredFile[];
  close(): void;
}

/**
 * A header is a few hundred bytes: a local file is read for it in small chunks rather than the store's
 * 4 MiB ones. A 4 MiB chunk and its read-ahead per file, for every file of a set checked after
 * publishing, added up to ~33 MiB of array buffers at the daemon's peak (process.memoryUsage()).
 */
const HEADER_CHUNK = 64 * 1024;

/** Reads the header of one stored file of a set (MAC not checked); `what` prefixes integrity errors. */
export function readStoredHeader(
  store: Store,
  setId: string,
  name: string,
  what = store.where(setId, name),
): Promise<ParsedHeader> {
  const path = store.localPath(setId, name);
  if (path !== undefined) return readHeaderFrom((start) => readChunks(path, HEADER_CHUNK, start), what);
  return readHeaderFrom((start) => store.read(setId, name, start), what);
}

/** The manifest header must belong to the set its name says (a swapped manifest or renamed set is not it). */
function checkSetIdOf(store: Store, setId: string, header: ParsedHeader): void {
  if (header.context.setId !== setId) {
    throw new IntegrityError(
      `${store.where(setId, MANIFEST_FILE)}: belongs to set ${header.context.setId}, not ${setId} (manifest swapped or set renamed)`,
    );
  }
}

/** Unwraps the set's data key from the manifest header (the one key-provider call). */
export async function unwrapSetKey(
  store: Store,
  setId: string,
  keyring: Keyring,
): Promise<{ dataKey: Buffer; header: ParsedHeader }> {
  const header = await readStoredHeader(store, setId, MANIFEST_FILE);
  checkSetIdOf(store, setId, header);
  const { instance } = header.context;
  const dataKey = await keyring.unwrap(
    header.wrappedKeys,
    { instance, setId },
    store.where(setId, MANIFEST_FILE),
  );
  return { dataKey, header };
}

/** Decrypts and authenticates the manifest of a set with a known data key. */
export async function readManifestWithKey(store: Store, setId: string, dataKey: Buffer): Promise<Manifest> {
  const what = store.where(setId, MANIFEST_FILE);
  const reader = new PullReader(store.read(setId, MANIFEST_FILE));
  try {
    const header = await readHeader(reader, what);
    checkSetIdOf(store, setId, header);
    if (header.context.fileName !== MANIFEST_CONTEXT_NAME) {
      throw new IntegrityError(
        `${what}: is not a set manifest (its context names file "${header.context.fileName}")`,
      );
    }
    const parts: Buffer[] = [];
    for await (const c of decryptFile(reader, header, dataKey, what)) parts.push(c);
    const manifest = decodeManifest(Buffer.concat(parts), what);
    if (manifest.setId !== header.context.setId || manifest.instance !== header.context.instance) {
      throw new IntegrityError(`${what}: the manifest's set id or instance differs from its header`);
    }
    return manifest;
  } catch (err) {
    throw fileError(err, what, 'read');
  } finally {
    await reader.close();
  }
}

/** Checks that the store holds exactly the manifest's encrypted files for the set. */
export async function checkSetListing(
  store: Store,
  setId: string,
  manifest: Manifest,
): Promise<StoredFile[]> {
  const present = await store.listFiles(setId);
  const names = new Set(present.map((f) => f.name));
  const listed = new Set([MANIFEST_FILE, ...manifest.files.map((f) => encryptedNameFor(f.name))]);
  for (const n of names) {
    if (!listed.has(n))
      throw new IntegrityError(`${store.where(setId, n)}: extra file not in the set manifest`);
  }
  for (const n of listed)
    if (!names.has(n)) throw new IntegrityError(`${store.where(setId, n)}: missing from the set`);
  return present;
}

/** Opens a set with a known data key (the sealer's own, before it forgets it). The key is not copied. */
export async function openWithKey(
  store: Store,
  setId: string,
  dataKey: Buffer,
  header?: ParsedHeader,
): Promise<OpenedSet> {
  const manifest = await readManifestWithKey(store, setId, dataKey);
  const files = await checkSetListing(store, setId, manifest);
  return {
    setId,
    header: header ?? (await readStoredHeader(store, setId, MANIFEST_FILE)),
    manifest,
    dataKey,
    files,
    close: () => dataKey.fill(0),
  };
}

/** Unwraps once, authenticates the manifest and checks the file listing. Call close() when done. */
export async function openSealedSet(store: Store, setId: string, keyring: Keyring): Promise<OpenedSet> {
  const { dataKey, header } = await unwrapSetKey(store, setId, keyring);
  try {
    return await openWithKey(store, setId, dataKey, header);
  } catch (err) {
    dataKey.fill(0);
    throw err;
  }
}

/** Runs `fn` on an opened set and zeroes its key afterwards, whatever happens. */
export async function withSealedSet<T>(
  store: Store,
  setId: string,
  keyring: Keyring,
  fn: (set: OpenedSet) => Promise<T>,
): Promise<T> {
  const set = await openSealedSet(store, setId, keyring);
  try {
    return await fn(set);
  } finally {
    set.close();
  }
}

/** Authenticates one stored encrypted file of a set (header, MAC, every segment); a local file is read directly. */
export function authenticateStored(
  store: Store,
  setId: string,
  name: string,
  dataKey: Buffer,
): Promise<AuthenticatedFile> {
  const encName = encryptedNameFor(name);
  const path = store.localPath(setId, encName);
  if (path !== undefined) return authenticatePath(path, name, setId, dataKey);
  return authenticateBytes(
    (start) => store.read(setId, encName, start),
    store.where(setId, encName),
    name,
    setId,
    dataKey,
  );
}

/**
 * The cheap check after publishing, with the sealer's own data key: every published file's header names
 * its file and set and authenticates under that key (so no file of another writer, under another data
 * key, can be part of the set), and its size is the one verified before publishing. Reads headers only.
 */
export async function checkPublishedFiles(store: Store, set: OpenedSet): Promise<void> {
  const sizes = new Map(set.files.map((f) => [f.name, f.size]));
  for (const entry of set.manifest.files) {
    const encName = encryptedNameFor(entry.name);
    const what = store.where(set.setId, encName);
    const header = await readStoredHeader(store, set.setId, encName);
    checkHeaderOf(header, what, entry.name, set.setId, set.dataKey);
    if (sizes.get(encName) !== entry.encryptedSize) {
      throw new IntegrityError(
        `${what}: holds ${sizes.get(encName)} bytes, ${entry.encryptedSize} were sealed`,
      );
    }
  }
}

/**
 * Proves a set just published to a remote store before its plaintext goes: by the store's proof from
 * upload checksums when it offers one (--s3-verify checksums), else by reading every file back and
 * authenticating it (verifyOpened). Returns how it was proven.
 */
export async function verifyUploaded(
  store: Store,
  set: OpenedSet,
  parallelism: number,
): Promise<'checksums' | 'read-back'> {
  const names = set.files.map((f) => f.name);
  if (await store.proveUploaded?.(set.setId, names)) return 'checksums';
  await verifyOpened(store, set, parallelism);
  return 'read-back';
}

/** Authenticates every file of an opened set against its manifest (sizes and payload digests). */
export async function verifyOpened(store: Store, set: OpenedSet, parallelism: number): Promise<void> {
  await mapLimit(set.manifest.files, parallelism, async (entry) => {
    const what = store.where(set.setId, encryptedNameFor(entry.name));
    const got = await authenticateStored(store, set.setId, entry.name, set.dataKey);
    if (got.plaintextBytes !== entry.size) {
      throw new IntegrityError(`${what}: holds ${got.plaintextBytes} bytes, the manifest says ${entry.size}`);
    }
    // encryptedSize is not compared: rewrap changes header sizes; the payload digest binds the content.
    if (got.payloadSha256 !== entry.payloadSha256) {
      throw new IntegrityError(`${what}: payload digest differs from the manifest (file replaced?)`);
    }
  });
}
