/** Encrypted files on disk: format/ composed with io/. Used by the one-shot commands, sealing and restore. */
import { createHash } from 'node:crypto';
import { UserError, errnoCode } from '../errors.js';
import { PullReader } from '../format/chunks.js';
import { encryptFile, decryptFile, readHeader } from '../format/file.js';
import { FORMAT_VERSION, DEFAULT_SEGMENT_SIZE } from '../format/limits.js';
import type { EncryptionContext, ParsedHeader, WrappedKey } from '../format/header.js';
import type { Keyring } from '../keys/keyring.js';
import { readChunks, writeNewFile } from '../io/durable.js';

export interface EncryptTarget {
  context: EncryptionContext;
  dataKey: Buffer;
  wrappedKeys: WrappedKey[];
  segmentSize?: number;
}

export interface EncryptResult {
  /** Bytes written, header included. */
  bytes: number;
  /** Plaintext bytes read. */
  plaintextBytes: number;
  /** SHA-256 of the payload (everything after the header), or undefined when not asked for. */
  payloadSha256: string | undefined;
}

function counted(source: AsyncIterable<Uint8Array>, counter: { n: number }): AsyncIterable<Uint8Array> {
  return (async function* () {
    for await (const c of source) {
      counter.n += c.byteLength;
      yield c;
    }
  })();
}

/** Encrypts `source` into a new file at `path` (must not exist; 0600; fsynced). */
export async function encryptToNewFile(
  source: AsyncIterable<Uint8Array>,
  path: string,
  target: EncryptTarget,
  opts: { digest: boolean } = { digest: true },
): Promise<EncryptResult> {
  const header = {
    version: FORMAT_VERSION,
    segmentSize: target.segmentSize ?? DEFAULT_SEGMENT_SIZE,
    context: target.context,
    wrappedKeys: target.wrappedKeys,
  };
  const hash = opts.digest ? createHash('sha256') : undefined;
  let first = true;
  const plain = { n: 0 };
  const onChunk = hash
    ? (chunk: Uint8Array) => {
        if (first)
          first = false; // the header: not part of the payload digest
        else hash.update(chunk);
      }
    : undefined;
  const bytes = await writeNewFile(
    path,
    encryptFile(counted(source, plain), header, target.dataKey),
    onChunk,
  );
  return { bytes, plaintextBytes: plain.n, payloadSha256: hash?.digest('hex') };
}

export interface OpenedEncrypted {
  header: ParsedHeader;
  reader: PullReader;
}

export async function openEncrypted(
  source: AsyncIterable<Uint8Array>,
  what: string,
): Promise<OpenedEncrypted> {
  const reader = new PullReader(source);
  try {
    return { header: await readHeader(reader, what), reader };
  } catch (err) {
    await reader.close();
    throw err;
  }
}

/** Opens an encrypted file on disk with a clear error for the usual mistakes. */
export async function openEncryptedPath(path: string): Promise<OpenedEncrypted> {
  try {
    return await openEncrypted(readChunks(path), path);
  } catch (err) {
    throw fileError(err, path, 'read');
  }
}

/** Reads just the header of an encrypted file (MAC not checked); `what` prefixes integrity errors. */
export async function readHeaderAt(path: string, what: string = path): Promise<ParsedHeader> {
  const reader = new PullReader(readChunks(path, 64 * 1024));
  try {
    return await readHeader(reader, what);
  } catch (err) {
    throw fileError(err, path, 'read');
  } finally {
    await reader.close();
  }
}

export function fileError(err: unknown, path: string, verb: string): unknown {
  const code = errnoCode(err);
  if (code === 'ENOENT') return new UserError(`${path} does not exist`);
  if (code === 'EACCES' || code === 'EPERM')
    return new UserError(`permission denied: cannot ${verb} ${path}`);
  if (code === 'ELOOP') return new UserError(`${path} is a symbolic link; refusing to follow it`);
  if (code === 'EISDIR') return new UserError(`${path} is a directory, not a file`);
  if (code === 'ENOSPC') return new UserError(`no space left on the device holding ${path}`);
  return err;
}

/** Decrypting plaintext stream; authentic as a whole only if it ends without throwing. */
export async function decryptOpened(
  opened: OpenedEncrypted,
  keyring: Keyring,
  what: string,
): Promise<{ dataKey: Buffer; plaintext: AsyncGenerator<Buffer> }> {
  const { header, reader } = opened;
  const dataKey = await unwrapFileKey(header, keyring, what);
  return { dataKey, plaintext: decryptFile(reader, header, dataKey, what) };
}

/** The data key of one encrypted file, unwrapped with the context its header names. */
export function unwrapFileKey(header: ParsedHeader, keyring: Keyring, what: string): Promise<Buffer> {
  const { instance, setId } = header.context;
  return keyring.unwrap(header.wrappedKeys, { instance, setId }, what);
}

/** Counts and hashes a decrypting stream without keeping it: authenticates every byte. */
export async function drain(stream: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of stream) n += c.byteLength;
  return n;
}
