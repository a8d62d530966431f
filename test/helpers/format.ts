/** Shared by the format tests: byte sources, and a full decode that reports the stage that failed. */
import { UserError } from '../../src/errors.js';
import { PullReader } from '../../src/format/chunks.js';
import { readHeader } from '../../src/format/file.js';
import { verifyHeaderMac, type ParsedHeader } from '../../src/format/header.js';
import { parseKeyFileText } from '../../src/format/key-file.js';
import { decodeManifest } from '../../src/format/manifest.js';
import { decryptPayload } from '../../src/format/payload.js';
import { Keyring } from '../../src/keys/keyring.js';
import { LocalKeyProvider } from '../../src/keys/local/provider.js';

/** The stages of docs/FORMAT.md section 9, as named in the vectors. */
export type Stage = 'key-file' | 'parse' | 'unwrap' | 'header-mac' | 'payload' | 'manifest';

export class StageError extends Error {
  constructor(
    readonly stage: Stage,
    readonly error: unknown,
  ) {
    super(`${stage}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Yields `buf` in pieces of `size` bytes (the last one shorter), like a file read in chunks. */
export async function* chunksOf(buf: Uint8Array, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) {
    yield await Promise.resolve(Buffer.from(buf.subarray(i, i + size)));
  }
}

/** Yields `buf` cut at the given sizes, cycling through them. */
export async function* chunksBySizes(buf: Uint8Array, sizes: number[]): AsyncGenerator<Buffer> {
  let i = 0;
  for (let k = 0; i < buf.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length] ?? 1);
    yield await Promise.resolve(Buffer.from(buf.subarray(i, i + n)));
    i += n;
  }
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function stage<T>(name: Stage, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // Every rejection must be a clear, user-facing error, never a TypeError or RangeError.
    if (!(err instanceof UserError)) throw err;
    throw new StageError(name, err);
  }
}

/**
 * Decodes a whole encrypted file the way docs/FORMAT.md section 9 orders it, with local keys.
 * Throws StageError naming the step that rejected the file.
 */
export async function decodeFile(
  file: Uint8Array,
  keks: Buffer[],
  chunk = 97,
): Promise<{ header: ParsedHeader; plaintext: Buffer }> {
  const reader = new PullReader(chunksOf(file, chunk));
  try {
    const header = await stage('parse', () => readHeader(reader, 'test file'));
    const keyring = new Keyring(keks.map((k) => LocalKeyProvider.fromKey(k)));
    const { instance, setId } = header.context;
    const dataKey = await stage('unwrap', () => keyring.unwrap(header.wrappedKeys, { instance, setId }));
    await stage('header-mac', () => verifyHeaderMac(header, dataKey));
    const params = { dataKey, associatedData: header.associatedData, segmentSize: header.segmentSize };
    const plaintext = await stage('payload', () => collect(decryptPayload(reader, params, 'test file')));
    if (header.context.fileName === '') {
      await stage('manifest', () => {
        const m = decodeManifest(plaintext, 'test manifest');
        if (m.setId !== header.context.setId || m.instance !== header.context.instance)
          throw new UserError('the manifest names another set than its header');
      });
    }
    return { header, plaintext };
  } finally {
    await reader.close();
  }
}

/** The keys in key-file texts, as a decoder given those files gets them (stage `key-file` if refused). */
export async function keysOfFiles(texts: string[]): Promise<Buffer[]> {
  return stage('key-file', () =>
    texts.map((t) => parseKeyFileText(t) ?? raise(new UserError('key file is malformed'))),
  );
}

function raise(err: Error): never {
  throw err;
}
