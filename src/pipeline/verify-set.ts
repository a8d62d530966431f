/**
 * Reads a published set back and authenticates every byte: the manifest, each file's header MAC and
 * payload, the payload digests and sizes the manifest records, and that the directory holds exactly
 * the manifest's files. Writes no plaintext anywhere.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../errors.js';
import { PullReader } from '../format/chunks.js';
import { decryptFile, readHeader } from '../format/file.js';
import { verifyHeaderMac, type ParsedHeader } from '../format/header.js';
import { decodeManifest, type Manifest } from '../format/manifest.js';
import { decryptPayload } from '../format/payload.js';
import { fileError, readHeaderAt } from '../files/encrypted-file.js';
import { READ_CHUNK, readChunks } from '../io/durable.js';
import type { Keyring } from '../keys/keyring.js';
import { ENCRYPTED_SUFFIX, MANIFEST_CONTEXT_NAME, MANIFEST_FILE, encryptedNameFor } from '../store/layout.js';
import { mapLimit } from './limit.js';

/** Decrypts the manifest of the set in `dir` with a known data key. */
export async function readManifestWithKey(dir: string, dataKey: Buffer): Promise<Manifest> {
  const path = join(dir, MANIFEST_FILE);
  const reader = new PullReader(readChunks(path, 64 * 1024));
  try {
    const header = await readHeader(reader, path);
    if (header.context.fileName !== MANIFEST_CONTEXT_NAME) {
      throw new IntegrityError(
        `${path}: is not a set manifest (its context names file "${header.context.fileName}")`,
      );
    }
    const parts: Buffer[] = [];
    for await (const c of decryptFile(reader, header, dataKey, path)) parts.push(c);
    const manifest = decodeManifest(Buffer.concat(parts), path);
    if (manifest.setId !== header.context.setId || manifest.instance !== header.context.instance) {
      throw new IntegrityError(`${path}: the manifest's set id or instance differs from its header`);
    }
    return manifest;
  } catch (err) {
    throw fileError(err, path, 'read');
  } finally {
    await reader.close();
  }
}

/** Unwraps the set's data key from the manifest header (one key-provider call). */
export async function unwrapSetKey(
  dir: string,
  keyring: Keyring,
): Promise<{ dataKey: Buffer; header: ParsedHeader }> {
  const path = join(dir, MANIFEST_FILE);
  const header = await readHeaderAt(path);
  const { instance, setId } = header.context;
  return { dataKey: await keyring.unwrap(header.wrappedKeys, { instance, setId }, path), header };
}

export interface AuthenticatedFile {
  plaintextBytes: number;
  /** SHA-256 of the payload (the bytes after the header), hex. */
  payloadSha256: string;
  /** Whole file, header included. */
  encryptedBytes: number;
}

/**
 * Authenticates one encrypted file of a set with the set's data key: its header names `name` and
 * `setId`, its header MAC and every payload segment verify. Returns what a manifest records about it.
 */
export async function authenticateFile(
  path: string,
  name: string,
  setId: string,
  dataKey: Buffer,
): Promise<AuthenticatedFile> {
  const header = await readHeaderAt(path);
  if (header.context.fileName !== name || header.context.setId !== setId) {
    throw new IntegrityError(
      `${path}: belongs to another file or set (its header names ${header.context.fileName})`,
    );
  }
  try {
    verifyHeaderMac(header, dataKey);
  } catch (err) {
    throw new IntegrityError(`${path}: ${(err as Error).message}`);
  }
  const hash = createHash('sha256');
  let payloadBytes = 0;
  const tapped = (async function* () {
    for await (const c of readChunks(path, READ_CHUNK, header.raw.length)) {
      hash.update(c);
      payloadBytes += c.length;
      yield c;
    }
  })();
  const reader = new PullReader(tapped);
  let plain = 0;
  try {
    const params = { dataKey, associatedData: header.associatedData, segmentSize: header.segmentSize };
    for await (const c of decryptPayload(reader, params, path)) plain += c.length;
  } catch (err) {
    throw fileError(err, path, 'read');
  } finally {
    await reader.close();
  }
  return {
    plaintextBytes: plain,
    payloadSha256: hash.digest('hex'),
    encryptedBytes: header.raw.length + payloadBytes,
  };
}

async function verifyFile(dir: string, manifest: Manifest, name: string, dataKey: Buffer): Promise<void> {
  const entry = manifest.files.find((f) => f.name === name);
  const path = join(dir, encryptedNameFor(name));
  if (!entry) throw new IntegrityError(`${path}: not listed in the set manifest`);
  const got = await authenticateFile(path, name, manifest.setId, dataKey);
  if (got.plaintextBytes !== entry.size) {
    throw new IntegrityError(`${path}: holds ${got.plaintextBytes} bytes, the manifest says ${entry.size}`);
  }
  // encryptedSize is not compared: rewrap changes header sizes; the payload digest binds the content.
  if (got.payloadSha256 !== entry.payloadSha256) {
    throw new IntegrityError(`${path}: payload digest differs from the manifest (file replaced?)`);
  }
}

/** Checks that `dir` holds exactly the encrypted files the manifest lists. */
export async function checkSetListing(dir: string, manifest: Manifest): Promise<void> {
  const present = (await readdir(dir)).filter((n) => n.endsWith(ENCRYPTED_SUFFIX));
  const listed = new Set(manifest.files.map((f) => encryptedNameFor(f.name)));
  for (const n of present) {
    if (!listed.has(n)) throw new IntegrityError(`${join(dir, n)}: extra file not in the set manifest`);
  }
  for (const n of listed)
    if (!present.includes(n)) throw new IntegrityError(`${join(dir, n)}: missing from the set`);
}

/** Verifies every file of the set in `dir` against its manifest; returns the manifest. */
export async function verifySetWithKey(
  dir: string,
  dataKey: Buffer,
  expected: Manifest | undefined,
  parallelism: number,
): Promise<Manifest> {
  const manifest = await readManifestWithKey(dir, dataKey);
  if (expected && JSON.stringify(expected) !== JSON.stringify(manifest)) {
    throw new IntegrityError(`${join(dir, MANIFEST_FILE)}: differs from the manifest that was written`);
  }
  await checkSetListing(dir, manifest);
  await mapLimit(manifest.files, parallelism, (f) => verifyFile(dir, manifest, f.name, dataKey));
  return manifest;
}

/** Unwraps the data key with the keyring and verifies the whole set. */
export async function verifySet(dir: string, keyring: Keyring, parallelism = 2): Promise<Manifest> {
  const { dataKey } = await unwrapSetKey(dir, keyring);
  try {
    return await verifySetWithKey(dir, dataKey, undefined, parallelism);
  } finally {
    dataKey.fill(0);
  }
}
